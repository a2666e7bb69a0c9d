"""The browser side of cbec: the monitoring screen, the officer workbench and the consumer
quota page (server-rendered Jinja2 templates, small vanilla scripts, and the front-end
libraries that ``make install`` copies from the npm registry into ``static/vendor``)."""
