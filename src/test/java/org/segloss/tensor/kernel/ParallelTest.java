package org.segloss.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The hand-out of {@link Parallel#forEach} (each thread takes its own contiguous run of parts,
 * then helps with the other runs): every part exactly once at any thread count and part count
 * (runs of unequal length included), the chunks of forRange independent of the thread count,
 * failures passed to the caller, nested calls run serially.
 */
class ParallelTest {
    private int saved;

    @BeforeEach
    void save() {
        saved = Parallel.threads();
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(saved);
    }

    @Test
    void everyPartRunsExactlyOnceAtAnyThreadCount() {
        for (int threads : new int[] {1, 2, 3, 4}) {
            Parallel.setThreads(threads);
            for (int parts : new int[] {1, 2, 3, 5, 7, 64, 1000}) {
                for (int repeat = 0; repeat < 20; repeat++) {
                    AtomicIntegerArray runs = new AtomicIntegerArray(parts);
                    Parallel.forEach(parts, runs::incrementAndGet);
                    for (int i = 0; i < parts; i++) {
                        assertEquals(1, runs.get(i), "threads " + threads + ", parts " + parts + ": part " + i + " ran " + runs.get(i) + " times");
                    }
                }
            }
        }
    }

    @Test
    void forRangeCoversEveryIndexOnceWithTheSameChunksAtAnyThreadCount() {
        List<String> first = null;
        for (int threads : new int[] {1, 2, 3}) {
            Parallel.setThreads(threads);
            List<String> chunks = Collections.synchronizedList(new ArrayList<>());
            AtomicIntegerArray seen = new AtomicIntegerArray(1003);
            Parallel.forRange(1003, 17, (s, e) -> {
                chunks.add(s + ".." + e);
                for (int i = s; i < e; i++) seen.incrementAndGet(i);
            });
            for (int i = 0; i < 1003; i++) assertEquals(1, seen.get(i), "threads " + threads + ": index " + i);
            List<String> sorted = new ArrayList<>(chunks);
            sorted.sort(java.util.Comparator.comparingInt(c -> Integer.parseInt(c.substring(0, c.indexOf('.')))));
            if (first == null) first = sorted;
            else assertEquals(first, sorted, "threads " + threads + ": the chunk boundaries depend on n and grain only");
        }
    }

    @Test
    void aFailingPartReachesTheCallerAndTheOtherPartsStillRun() {
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            IllegalStateException boom = new IllegalStateException("part 37");
            AtomicIntegerArray runs = new AtomicIntegerArray(64);
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> Parallel.forEach(64, i -> {
                runs.incrementAndGet(i);
                if (i == 37) throw boom;
            }));
            assertSame(boom, thrown);
            if (threads > 1) {   // (one thread runs the parts in a plain loop, which stops at the failure)
                for (int i = 0; i < 64; i++) assertEquals(1, runs.get(i), "part " + i);
            }
        }
    }

    @Test
    void aNestedCallRunsInsideItsPart() {
        Parallel.setThreads(2);
        AtomicIntegerArray inner = new AtomicIntegerArray(8 * 8);
        Parallel.forEach(8, i -> Parallel.forEach(8, j -> inner.incrementAndGet(i * 8 + j)));
        for (int i = 0; i < 64; i++) assertEquals(1, inner.get(i), "nested part " + i);
    }
}
