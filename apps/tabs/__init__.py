"""One module per tab of the app: its layout and its handlers together.

Each module holds a mixin of `apps.shell.App`: the handlers are methods
(tests and the API call them on an `App`) and `layout_<tab>(current)`
builds the tab inside the app's `gr.Blocks` and wires its events.
"""
