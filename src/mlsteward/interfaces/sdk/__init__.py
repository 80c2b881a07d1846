"""The Python SDK: fluent functions, the Client, and local/HTTP backends behind them."""
