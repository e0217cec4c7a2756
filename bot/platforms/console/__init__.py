"""The console platform: transmissions print to the terminal, commands are typed there."""
