"""Small helpers shared by the zoo's layers: argument checks and conv sizes."""
