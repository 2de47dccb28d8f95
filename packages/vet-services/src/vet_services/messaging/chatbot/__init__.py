"""The clinic chatbot: a provider interface (:mod:`.base`), the offline triage (:mod:`.triage`),
an OpenAI-compatible LLM provider guarded by triage (:mod:`.llm`) and the service that answers
messages of bot conversations (:mod:`.service`)."""
