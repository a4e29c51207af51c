"""The spasticity patient-education bot: content store, retrieval, NLP, answers and channels."""
