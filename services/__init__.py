"""What every door (CLI, HTTP API, inbox) shares: who is acting, and deciding a task."""
