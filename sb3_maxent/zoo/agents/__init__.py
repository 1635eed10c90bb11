"""Small trained agents in the Hugging Face Hub repository layout (data only: see ``sb3_maxent.zoo.hub``)."""
