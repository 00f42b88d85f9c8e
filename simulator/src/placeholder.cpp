namespace ploke::simulator { int placeholder() { return 0; } }
