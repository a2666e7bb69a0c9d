"""Risk control: features, analyst rules, control instructions, case clues."""
