"""The measurement's vocabulary: themes, caption text normalisation, the dictionary and counting."""
