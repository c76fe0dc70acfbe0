"""One focused explorable per lesson: one phenomenon, at most four controls, a lesson-specific live readout,
built from the package's views (Player, SphereView, figures). Import the lesson's module directly, e.g.
`from mftx_widgets.views.explorables import kuramoto`."""
