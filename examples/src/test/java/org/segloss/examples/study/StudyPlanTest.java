package org.segloss.examples.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyPlanTest {
    static StudyPlan plan() {
        return new StudyPlan(List.of("phantom", "phantom-hard"), List.of("dice-ce", "dice", "focal-tversky:alpha=0.7,beta=0.3"),
                StudyPlan.seeds(2026, 3), Map.of("epochs", "1", "volume-size", "16"));
    }

    @Test
    void runOrderIsDataThenSeedThenLoss() {
        List<RunKey> runs = plan().runs();
        assertEquals(18, runs.size());
        assertEquals(new RunKey("phantom", "dice-ce", 2026), runs.get(0));
        assertEquals(new RunKey("phantom", "dice", 2026), runs.get(1));
        assertEquals(new RunKey("phantom", "dice-ce", 2027), runs.get(3));
        assertEquals(new RunKey("phantom-hard", "dice-ce", 2026), runs.get(9));
        assertEquals(List.of(2026L, 2027L, 2028L), StudyPlan.seeds(2026, 3));
    }

    @Test
    void badPlansAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new StudyPlan(List.of("phantom"), List.of(), List.of(1L), Map.of()));
        assertTrue(e.getMessage().contains("losses must not be empty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new StudyPlan(List.of("phantom"), List.of("dice", "dice"), List.of(1L), Map.of()));
        assertTrue(e.getMessage().contains("lists 'dice' twice"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new StudyPlan(List.of(), List.of("dice"), List.of(1L), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new StudyPlan(List.of("phantom"), List.of("dice"), List.of(), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new StudyPlan(List.of("phantom"), List.of(" "), List.of(1L), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> StudyPlan.seeds(1, 0));
    }

    @Test
    void jsonRoundTripAndClaim(@TempDir Path dir) throws Exception {
        StudyPlan p = plan();
        assertEquals(p, StudyPlan.fromJson(p.toJson()));
        p.claim(dir);
        byte[] first = Files.readAllBytes(dir.resolve(StudyPlan.FILE));
        p.claim(dir);                                              // a second shard: same plan, accepted, file unchanged
        assertEquals(new String(first), Files.readString(dir.resolve(StudyPlan.FILE)));
        StudyPlan other = new StudyPlan(p.data(), p.losses(), p.seeds(), Map.of("epochs", "2", "volume-size", "16"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.claim(dir));
        assertTrue(e.getMessage().contains("holds another study") && e.getMessage().contains("epochs 1 there, 2 now"), e.getMessage());
        assertEquals(p, StudyPlan.read(dir));
    }

    @Test
    void shardsPartitionTheRunList() {
        List<RunKey> runs = plan().runs();
        for (int n = 1; n <= 7; n++) {
            Set<RunKey> seen = new HashSet<>();
            List<RunKey> union = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                List<RunKey> share = new Shard(k, n).select(runs);
                assertTrue(Math.abs(share.size() - runs.size() / (double) n) < 1, "shares differ by at most one run");
                for (RunKey r : share) assertTrue(seen.add(r), "run in two shards: " + r);
                union.addAll(share);
            }
            assertEquals(runs.size(), union.size());
        }
        assertEquals(List.of(runs.get(1), runs.get(4), runs.get(7)), new Shard(1, 3).select(runs.subList(0, 9)));
    }

    @Test
    void shardParsing() {
        assertEquals(new Shard(0, 4), Shard.parse("0/4"));
        assertEquals(new Shard(3, 4), Shard.parse(" 3/4 "));
        assertEquals(Shard.ALL, Shard.parse("0/1"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shard.parse("4/4"));
        assertTrue(e.getMessage().startsWith("--shard '4/4': K must be in [0, 4), got 4 (K is 0-based"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Shard.parse("1/0"));
        assertTrue(e.getMessage().contains("N must be >= 1, got 0"), e.getMessage());
        for (String bad : new String[] {"", "3", "a/b", "-1/4", "1/4/2", "1.0/4", "1 / 4"}) {
            e = assertThrows(IllegalArgumentException.class, () -> Shard.parse(bad), bad);
            assertTrue(e.getMessage().contains("expected K/N"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Shard.parse(null));
    }

    @Test
    void folderNamesAreSafeAndDistinct() {
        assertEquals(Path.of("phantom", "dice-ce", "seed-2026"), new RunKey("phantom", "dice-ce", 2026).folder());
        String a = RunKey.slug("focal-tversky:alpha=0.7,beta=0.3"), b = RunKey.slug("focal-tversky:alpha_0.7,beta=0.3");
        assertTrue(a.matches("focal-tversky_alpha_0.7_beta_0.3-[0-9a-f]{8}"), a);
        assertNotEquals(a, b);
        assertEquals(a, RunKey.slug("focal-tversky:alpha=0.7,beta=0.3"));
        String dir = RunKey.slug("/data/../brats");
        assertFalse(dir.contains("/") || dir.startsWith("."), dir);
        assertFalse(RunKey.slug("..").equals(".."));
    }
}
