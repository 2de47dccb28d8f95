"""The medical record: health records (signed, locked, amended by addenda), vaccinations and
prescriptions, each write authorised against the pet and audited."""
