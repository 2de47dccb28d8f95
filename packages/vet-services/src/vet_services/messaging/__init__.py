"""Messaging: owner↔clinic, staff and bot conversations (see :mod:`.conversations`), and the
clinic chatbot (:mod:`.chatbot`)."""
