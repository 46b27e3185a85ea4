#!/usr/bin/env python3
"""Where a training step spends its time, from a JFR recording of `segloss train`.

Record and summarise (see spec/performance.md):

    SEGLOSS_JAVA_OPTS="-XX:StartFlightRecording=filename=train.jfr,settings=profile" \
        ./segloss train --no-progress --epochs 2
    jfr print --json --stack-depth 300 --events jdk.ExecutionSample train.jfr > train.json
    jfr print --events jdk.GarbageCollection train.jfr > gc.txt
    python3 bench/jfr_phases.py train.json [gc.txt]

Each execution sample of the main thread and of the pool's workers is charged to one phase: the
innermost layer on its stack (scanning from the top frame down), so the work a layer hands to
`Parallel` counts for that layer, and the main thread's waits for a worker too. Samples under the
validation are left out of the step. Samples only see running threads: GC pauses are summed
separately from the jdk.GarbageCollection events.
"""
import collections
import json
import re
import sys

# (substring of "class.method", phase): the first rule matching the innermost frame wins
RULES = [
    ('nn.AdamW', 'optimizer'), ('nn.Optimizer', 'optimizer'),
    ('nn.Conv3d', 'conv3d'), ('nn.ConvTranspose3d', 'transposed conv'),
    ('nn.NormOp', 'instance norm'), ('nn.MaxPool3d', 'max pooling'), ('nn.LeakyReLU', 'leaky ReLU'),
    ('nn.Skip', 'concatenation'), ('Primitives$Concat', 'concatenation'),
    ('PointwiseConv3d', '1x1 head'), ('Primitives$MatMul', '1x1 head'),
    ('org.segloss.loss.', 'loss'), ('Primitives$Gather', 'loss'),
    ('autograd.Graph.backward', 'gradient accumulation (autograd)'),
    ('PatchSampler', 'patch sampling'),
]
VALIDATION = ('Validator', 'Inference', 'SlidingWindow')


def frames(event):
    return [(f['method']['type']['name'] + '.' + f['method']['name']).replace('/', '.')
            for f in event['values']['stackTrace']['frames']]


def phase(names):
    if any('Parallel$Pool.loop' in n for n in names) and not any('Parallel$Job.work' in n for n in names):
        return 'idle (worker spinning or parked)'
    for n in names:
        for sub, p in RULES:
            if sub in n:
                return p
    return 'other'


def main():
    events = json.load(open(sys.argv[1]))['recording']['events']
    counts = {'main': collections.Counter(), 'worker': collections.Counter()}
    for e in events:
        thread = e['values']['sampledThread']['javaName'] or ''
        key = 'main' if thread == 'main' else 'worker' if thread.startswith('segloss-worker') else None
        if key is None:
            continue
        names = frames(e)
        if any(v in n for n in names for v in VALIDATION):
            continue
        if key == 'main' and not any('Trainer.train' in n for n in names):
            continue   # start-up, data generation, PNGs
        counts[key][phase(names)] += 1
    for key, c in counts.items():
        total = sum(c.values())
        print(f'{key} thread: {total} samples in training steps')
        for p, n in c.most_common():
            print(f'  {p:36s} {n:6d} {100.0 * n / max(total, 1):5.1f} %')
    if len(sys.argv) > 2:
        text = open(sys.argv[2]).read()
        pauses, causes = 0.0, collections.Counter()
        for block in text.split('jdk.GarbageCollection')[1:]:
            m = re.search(r'sumOfPauses = ([\d.]+) (ms|s|us)', block)
            c = re.search(r'cause = "([^"]*)"', block)
            if m:
                pauses += float(m.group(1)) * {'ms': 1, 's': 1000, 'us': 0.001}[m.group(2)]
                causes[c.group(1) if c else '?'] += 1
        print(f'GC: {sum(causes.values())} collections, {pauses / 1000:.2f} s of pauses; causes {dict(causes)}')


if __name__ == '__main__':
    main()
