package org.segloss.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The work one benchmark operation does, counted by the benchmark itself. In throughput mode
 * JMH reports these as rates (secondary metrics "bytes" and "flops", per second), which
 * bench/Table.java prints as GB/s and GFLOP/s. Bytes are the logical traffic (each input
 * array read once, each output written once); allocation and zeroing of outputs by the
 * Tensor API are not counted, so they show up as a lower share of the triad bandwidth.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Work {
    public double bytes;
    public double flops;

    @Setup(Level.Iteration)
    public void reset() {
        bytes = 0;
        flops = 0;
    }
}
