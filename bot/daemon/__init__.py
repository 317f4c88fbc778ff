"""The long-running bot: listener thread, daily schedule, outbox, one instance."""
