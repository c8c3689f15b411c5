"""Due process: subject access, consent, disputes, review proposals, credit repair, notices."""
