"""Pure values and functions: customer and product state, derived profile, policy models, decision helpers."""
