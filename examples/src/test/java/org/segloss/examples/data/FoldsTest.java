package org.segloss.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Folds}: the shuffle against NumPy 2.4.6's legacy {@code RandomState(12345)} (values
 * printed by {@code a = np.arange(n); np.random.RandomState(12345).shuffle(a)} and
 * {@code MT19937()._legacy_seeding(12345); random_raw(3)}), the fold sizes of KFold, the splits
 * file and the rejections.
 */
class FoldsTest {
    @TempDir
    Path dir;

    @Test
    void mersenneTwisterAndShuffleMatchNumpy() {
        Folds.MersenneTwister mt = new Folds.MersenneTwister(12345);
        assertEquals(3992670690L, mt.nextUint32());
        assertEquals(3823185381L, mt.nextUint32());
        assertEquals(1358822685L, mt.nextUint32());
        assertArrayEquals(new int[] {0, 7, 3, 9, 6, 4, 1, 8, 5, 2}, Folds.shuffledIndices(10, 12345));
        assertArrayEquals(new int[] {6, 3, 4, 0, 1, 5, 2}, Folds.shuffledIndices(7, 12345));
        assertArrayEquals(new int[] {10, 19, 8, 17, 3, 12, 16, 0, 15, 7, 18, 11, 14, 6, 20, 13, 22, 21, 9, 4, 1, 5, 2},
                Folds.shuffledIndices(23, 12345));
    }

    @Test
    void fiveFoldsPartitionTheCasesLikeKFold() {
        List<String> ids = List.of("g", "f", "e", "d", "c", "b", "a");   // sorted first: a .. g
        List<Folds.Fold> folds = Folds.kFold(ids, 5, 12345);
        // shuffled indices [6, 3, 4, 0, 1, 5, 2], fold sizes 2, 2, 1, 1, 1
        assertEquals(List.of("d", "g"), folds.get(0).validation());
        assertEquals(List.of("a", "b", "c", "e", "f"), folds.get(0).train());
        assertEquals(List.of("a", "e"), folds.get(1).validation());
        assertEquals(List.of("b"), folds.get(2).validation());
        assertEquals(List.of("f"), folds.get(3).validation());
        assertEquals(List.of("c"), folds.get(4).validation());
        Set<String> all = new HashSet<>();
        for (Folds.Fold f : folds) {
            all.addAll(f.validation());
            assertEquals(7, f.train().size() + f.validation().size());
        }
        assertEquals(7, all.size());
    }

    @Test
    void splitsFileWinsAndAllTrainsOnEverything() throws IOException {
        List<String> ids = List.of("left", "right");
        Files.writeString(dir.resolve("splits_final.json"), "[{\"train\": [\"left\"], \"val\": [\"right\"]},"
                + " {\"train\": [\"right\"], \"val\": [\"left\"]}]");
        Folds.Fold f1 = Folds.select(dir, ids, "1");
        assertEquals(List.of("right"), f1.train());
        assertEquals(List.of("left"), f1.validation());
        Folds.Fold all = Folds.select(dir, ids, "all");
        assertEquals(ids, all.train());
        assertTrue(all.validation().isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Folds.select(dir, ids, "2"));
        assertTrue(e.getMessage().contains("has 2 fold(s)"), e.getMessage());

        Files.writeString(dir.resolve("splits_final.json"), "[{\"train\": [\"left\", \"middle\"], \"val\": []}]");
        e = assertThrows(IllegalArgumentException.class, () -> Folds.select(dir, ids, "0"));
        assertTrue(e.getMessage().contains("[middle]"), e.getMessage());
    }

    @Test
    void badFoldsAreRejected() {
        List<String> few = List.of("a", "b", "c");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Folds.select(dir, few, "0"));
        assertTrue(e.getMessage().contains("at least 5 training cases, got 3") && e.getMessage().contains("splits_final.json"),
                e.getMessage());
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 12; i++) many.add("c" + i);
        e = assertThrows(IllegalArgumentException.class, () -> Folds.select(dir, many, "5"));
        assertTrue(e.getMessage().contains("folds 0..4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Folds.select(dir, many, "first"));
        assertTrue(e.getMessage().startsWith("--fold first:"), e.getMessage());
    }
}
