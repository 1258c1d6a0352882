"""The workers: the code that runs in the background, on the backend, never on a request thread.

runner.py runs each record's job (context.py is what a job sees of it); dataset_jobs.py and batch.py are job
functions (training is ../training.py); autotrainer.py starts AUTOTRAIN solution versions on schedule. They
import the backend; nothing below the wiring (../wiring.py) imports them.
"""
