"""Lightning training of torchlayers MLPs on CIFAR-10.

``python -m train fit --config train/configs/best.yaml``
"""

import time

STARTED = time.perf_counter()  # ``total_s`` in a run's summary.json counts from here (imports included)
