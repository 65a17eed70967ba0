"""The workspace: a web app, a JSON API and Atom feeds on the monitor's store (`rights-monitor serve`)."""
