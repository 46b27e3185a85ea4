package org.segloss.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every reference in the repository's Java and Markdown files leads somewhere a user's clone has.
 *
 * <p>Scanned: every {@code .java} and {@code .md} file under the repository root (the parent of
 * the examples module, where Maven runs these tests), skipping build output ({@code target/}),
 * training output ({@code runs/}) and hidden folders. Checked, line by line:
 * <ol>
 *   <li><b>Documents outside the repository</b>: the names of the development notes the math and
 *       the contract were copied from ({@link #OUTSIDE_DOCUMENTS}), which a clone does not have;
 *       cite the spec page instead ({@code spec/losses/dice.md#gradient},
 *       {@code spec/reference-values.md R7}, {@code spec/contract.md edge case 12}).</li>
 *   <li><b>Machine paths</b>: an absolute path under {@code /work}, {@code /home}, {@code /tmp},
 *       {@code /usr}, {@code /opt}, ... or a relative path up into the notes' folder. The only absolute paths
 *       allowed are the system paths the product itself uses ({@link #SYSTEM_PATHS}).</li>
 *   <li><b>Repository paths</b>: a path that starts with a top-level folder of the repository
 *       ({@code spec/}, {@code src/}, {@code examples/}, {@code bench/}) must exist, and an
 *       {@code #anchor} after a Markdown file must be one of its headings (GitHub's slugs), as
 *       must a heading named in quotes after it ({@code spec/numerics.md, "Determinism"}); a
 *       known value, contract item or open question cited after it ({@code R7},
 *       {@code edge case 12}, {@code decision 10}) must be on that page.
 *       Paths into generated output ({@code target/}, {@code bench/results/}) are not checked.</li>
 *   <li><b>Markdown links</b> {@code [text](target)} that are not URLs (and not inside a code
 *       span or fence) must resolve relative to the file, with the same anchor check
 *       ({@code (#anchor)} alone: a heading of the same file).</li>
 * </ol>
 * The patterns are written with character classes ({@code loss[-]spec}), and the planted mistakes
 * are split string literals, so that this file does not match itself. {@link #theCheckerCatchesPlantedMistakes} shows that each rule fires.
 */
class ReferencesResolveTest {

    /** The repository root: Maven runs the examples module's tests in {@code examples/}. */
    static final Path ROOT = findRoot();

    /** Notes that lived next to the repository during development; a clone has none of them. */
    static final Pattern OUTSIDE_DOCUMENTS = Pattern.compile(
            "(?i)loss[-]spec|user[-]asks|perf[-]notes|shared/style[.]md|\\.\\./shar[e]d");

    /** Absolute machine paths (not inside a URL or a longer path). */
    static final Pattern ABSOLUTE_PATH = Pattern.compile(
            "(?<![\\w.~:/-])/(?:wor[k]|home|tmp|usr|opt|var|etc|root|mnt|srv|Users|private)/[^\\s`'\"),;\\]}]*");

    /** System paths the product uses or documents on purpose (prefixes). */
    static final List<String> SYSTEM_PATHS = List.of(
            "/usr/share/mricron/templates",   // Debian's mricron-data: the MNI atlas (MniAtlas, NiftiTest)
            "/usr/lib/jvm");                   // where ./segloss looks for a JDK 25

    /** A path starting at a top-level folder of the repository, with an optional #anchor. */
    static final Pattern REPO_PATH = Pattern.compile(
            "(?<![\\w./@:-])((?:spec|src|examples|bench)/[\\w./-]*[\\w/])(#[\\w-]+)?");

    /** Folders of generated output that a clone does not have until it builds or benchmarks. */
    static final Pattern GENERATED = Pattern.compile("(^|/)target(/|$)|^bench/results(/|$)");

    /** A Markdown inline link or image. */
    static final Pattern MD_LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)\\)");

    /** "spec/reference-values.md R7", "spec/contract.md edge case 12", "spec/open-questions.md, decision 10". */
    static final Pattern NUMBERED_ITEM = Pattern.compile(
            "^,?\\s*(R|D|bad inputs?|edge cases?|open questions?|decisions?)\\s*(\\d+)(?:\\s*(?:-|–|and)\\s*[RD]?(\\d+))?");

    /** A heading named in quotes after a path: {@code spec/numerics.md, "Determinism"}. */
    static final Pattern QUOTED_HEADING = Pattern.compile("^[`}]?,\\s*\"([^\"]+)\"");

    record Found(List<String> problems, int repoPaths, int links, int anchors, int items) {}

    @Test
    void everyReferenceResolvesInsideTheRepository() {
        List<Path> files = sourceFiles();
        assertTrue(files.size() > 200, "expected the whole repository, found " + files.size() + " files under " + ROOT);
        Found f = check(files);
        assertTrue(f.problems().isEmpty(), f.problems().size() + " references lead nowhere:\n  "
                + String.join("\n  ", f.problems()));
        // not vacuous: the files do cite the spec, link each other and point at headings
        assertTrue(f.repoPaths() > 150, "only " + f.repoPaths() + " repository paths found");
        assertTrue(f.links() > 60, "only " + f.links() + " Markdown links found");
        assertTrue(f.anchors() > 20, "only " + f.anchors() + " #anchors found");
        assertTrue(f.items() > 40, "only " + f.items() + " numbered items (R7, edge case 12, ...) found");
    }

    @Test
    void theCheckerCatchesPlantedMistakes() throws IOException {
        Path dir = Files.createDirectories(ROOT.resolve("examples/target/references-planted"));
        Path planted = dir.resolve("Planted.java");
        Files.writeString(planted, String.join("\n",
                "// see loss" + "-spec §9(d)",
                "// as user" + "-asks §4 edge case 3 asks",
                "// copied from /wor" + "k/shared/vectors/",
                "// ../sha" + "red/perf.md",
                "// data in /ho" + "me/someone/data",
                "// sp" + "ec/losses/no-such-loss.md",
                "// sp" + "ec/losses/dice.md#no-such-heading",
                "// sr" + "c/main/java/org/segloss/loss/NoSuchLoss.java",
                "// sp" + "ec/reference-values.md R99: no such row",
                "// sp" + "ec/contract.md edge cases 19-21",
                "// sp" + "ec/numerics.md, \"No such heading\"",
                "// fine: spec/losses/dice.md#gradient, /usr/share/mricron/templates, https://x.org/usr/y/",
                "// fine: spec/contract.md bad input 17, spec/reference-values.md D10, spec/open-questions.md, decision 12",
                "// fine: spec/numerics.md, \"Determinism\"; spec/distance-maps.md, \"Convention.LIVIAETS\"",
                ""));
        Path md = dir.resolve("planted.md");
        Files.writeString(md, "[a](missing.md) [b](#nowhere) [c](../../../spec/losses/dice.md#formula) [d](https://example.org/x)\n");
        Found f = check(List.of(planted, md));
        String all = String.join("\n", f.problems());
        assertEquals(13, f.problems().size(), all);
        for (int line = 1; line <= 11; line++) {
            assertTrue(all.contains("Planted.java:" + line + ":"), "line " + line + " not flagged:\n" + all);
        }
        assertTrue(all.contains("planted.md:1: link missing.md"), all);
        assertTrue(all.contains("planted.md:1: link #nowhere"), all);
        assertTrue(all.contains("no R 99 in"), all);
        assertTrue(all.contains("no edge case 21 in") && !all.contains("edge case 20 in"), all);
    }

    @Test
    void headingSlugsFollowGitHub() {
        assertEquals("empty-class-rule-decision", slug("Empty-class rule (decision)"));
        assertEquals("the-schedule-boundaryschedule", slug("The schedule (`BoundarySchedule`)"));
        assertEquals("normalisation-paper-vs-pytorch", slug("Normalisation: paper vs PyTorch"));
        assertEquals("formula--formpaper-default", slug("Formula — `Form.PAPER` (default)"));
    }

    // ---- the checker --------------------------------------------------------------------------

    static Found check(List<Path> files) {
        List<String> problems = new ArrayList<>();
        Map<Path, Set<String>> headings = new HashMap<>();
        int repoPaths = 0, links = 0, anchors = 0, items = 0;
        for (Path file : files) {
            List<String> lines = read(file);
            boolean markdown = file.toString().endsWith(".md");
            boolean fenced = false;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                String where = ROOT.relativize(file.toAbsolutePath().normalize()) + ":" + (i + 1) + ": ";
                if (markdown && line.strip().startsWith("```")) fenced = !fenced;

                Matcher outside = OUTSIDE_DOCUMENTS.matcher(line);
                while (outside.find()) {
                    problems.add(where + "'" + outside.group() + "' names a document outside the repository; cite the spec page");
                }
                Matcher abs = ABSOLUTE_PATH.matcher(line);
                while (abs.find()) {
                    String p = abs.group();
                    if (SYSTEM_PATHS.stream().noneMatch(p::startsWith)) {
                        problems.add(where + "machine path " + p);
                    }
                }
                Matcher rp = REPO_PATH.matcher(line);
                while (rp.find()) {
                    String path = rp.group(1);
                    if (GENERATED.matcher(path).find()) continue;
                    repoPaths++;
                    Path target = ROOT.resolve(path);
                    if (!Files.exists(target)) {
                        problems.add(where + "no such file in the repository: " + path);
                    } else if (rp.group(2) != null) {
                        anchors++;
                        if (!anchorExists(target, rp.group(2).substring(1), headings)) {
                            problems.add(where + "no heading " + rp.group(2) + " in " + path);
                        }
                    }
                    Matcher quoted = QUOTED_HEADING.matcher(line.substring(rp.end()));
                    if (path.endsWith(".md") && Files.isRegularFile(target) && quoted.find()) {
                        anchors++;
                        String name = quoted.group(1);
                        boolean found = read(target).stream()
                                .filter(l -> l.matches("#{1,6} .*"))
                                .map(l -> l.replaceFirst("^#+ ", "").replace("`", ""))
                                .anyMatch(h -> h.startsWith(name));
                        if (!found) problems.add(where + "no heading \"" + name + "\" in " + path);
                    }
                    Matcher item = NUMBERED_ITEM.matcher(line.substring(rp.end()));
                    if (Files.isRegularFile(target) && item.find()) {
                        int from = Integer.parseInt(item.group(2));
                        int to = item.group(3) == null ? from : Integer.parseInt(item.group(3));
                        for (int k = from; k <= to; k++) {
                            items++;
                            if (!itemExists(target, item.group(1), k)) {
                                problems.add(where + "no " + item.group(1).replaceFirst("s$", "") + " " + k + " in " + path);
                            }
                        }
                    }
                }
                if (markdown && !fenced) {
                    Matcher link = MD_LINK.matcher(line.replaceAll("`[^`]*`", "``"));
                    while (link.find()) {
                        String t = link.group(1);
                        if (t.matches("(?i)(https?|mailto|ftp):.*")) continue;
                        links++;
                        int hash = t.indexOf('#');
                        String pathPart = hash < 0 ? t : t.substring(0, hash);
                        Path target = pathPart.isEmpty() ? file : file.getParent().resolve(pathPart).normalize();
                        if (!Files.exists(target)) {
                            problems.add(where + "link " + t + " leads nowhere");
                        } else if (hash >= 0) {
                            anchors++;
                            if (!anchorExists(target, t.substring(hash + 1), headings)) {
                                problems.add(where + "link " + t + ": no such heading");
                            }
                        }
                    }
                }
            }
        }
        return new Found(problems, repoPaths, links, anchors, items);
    }

    static boolean anchorExists(Path file, String anchor, Map<Path, Set<String>> cache) {
        if (!file.toString().endsWith(".md") || Files.isDirectory(file)) return false;
        return cache.computeIfAbsent(file.toAbsolutePath().normalize(), ReferencesResolveTest::slugs).contains(anchor);
    }

    /**
     * Whether a numbered item exists: a table row {@code | R7 |} for the known values, and a list
     * item {@code 12. } under the heading that starts with the kind ("Bad inputs", "Edge cases",
     * "Open questions", "Decisions").
     */
    static boolean itemExists(Path md, String kind, int number) {
        List<String> lines = read(md);
        if (kind.equals("R") || kind.equals("D")) {
            return lines.stream().anyMatch(l -> l.startsWith("| " + kind + number + " |"));
        }
        String section = kind.replaceFirst("s$", "").toLowerCase(Locale.ROOT);
        boolean inside = false;
        for (String l : lines) {
            if (l.startsWith("## ")) inside = l.substring(3).toLowerCase(Locale.ROOT).startsWith(section);
            else if (inside && l.startsWith(number + ". ")) return true;
        }
        return false;
    }

    /** The anchors GitHub gives the headings of a Markdown file (duplicates get -1, -2, ...). */
    static Set<String> slugs(Path md) {
        Set<String> out = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fenced = false;
        for (String line : read(md)) {
            if (line.strip().startsWith("```")) fenced = !fenced;
            if (fenced || !line.matches("#{1,6} .*")) continue;
            String s = slug(line.replaceFirst("^#+ ", ""));
            int n = seen.merge(s, 1, Integer::sum) - 1;
            out.add(n == 0 ? s : s + "-" + n);
        }
        return out;
    }

    /** GitHub's heading slug: lower case, punctuation dropped (letters, digits, '-', '_' and spaces kept), spaces to '-'. */
    static String slug(String heading) {
        String lower = heading.strip().toLowerCase(Locale.ROOT);
        StringBuilder b = new StringBuilder();
        lower.codePoints().forEach(c -> {
            if (Character.isLetterOrDigit(c) || c == '-' || c == '_') b.appendCodePoint(c);
            else if (c == ' ') b.append('-');
        });
        return b.toString();
    }

    static List<Path> sourceFiles() {
        try (Stream<Path> walk = Files.walk(ROOT)) {
            return walk.filter(p -> {
                        Path rel = ROOT.relativize(p);
                        for (Path part : rel) {
                            String s = part.toString();
                            if (s.equals("target") || s.equals("runs") || (s.startsWith(".") && s.length() > 1)) return false;
                        }
                        String name = p.getFileName().toString();
                        return Files.isRegularFile(p) && (name.endsWith(".java") || name.endsWith(".md"));
                    })
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> read(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path findRoot() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("spec")) && Files.isDirectory(p.resolve("examples"))
                    && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("no repository root (spec/, examples/, pom.xml) above " + here);
    }
}
