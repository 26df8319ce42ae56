"""Real-time datasets: feeds (polled or pushed) of observations, latest values, history, streams."""
