from sapan.cli import app

app(prog_name="sapan")
