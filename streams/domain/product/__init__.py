"""The product: catalog state, who watches it, held catalog events and replenishment cycles."""
