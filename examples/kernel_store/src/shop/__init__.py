"""A store written in loom-kernel 9's idioms: users, products, orders and a restock job."""
