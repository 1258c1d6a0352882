"""Task bodies the DAG factory wires together; heavy imports happen inside the functions, at run time."""
