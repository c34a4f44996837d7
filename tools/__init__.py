"""Developer tools that sit on top of the library and the training tools
(the concept-guide generator, `python -m tools.concepts`). They run from a
clone of the repository and are not part of the installed package."""
