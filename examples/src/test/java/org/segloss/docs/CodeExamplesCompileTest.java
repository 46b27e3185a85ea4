package org.segloss.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Every code example a reader may copy compiles against the current API.
 *
 * <p>The conventions, for whoever writes an example:
 * <ul>
 *   <li><b>Markdown</b>: a fence opened with {@code ```java} holds Java that must compile, with its
 *       own {@code import} lines (what a user copies is complete). Fences without the {@code java}
 *       tag (formulas, shell commands, output) are not compiled.</li>
 *   <li><b>Javadoc</b>: {@code <pre>{@code ...}</pre>} holds Java that must compile. It sees the
 *       public API of its own package and the imports of its source file, from another package
 *       (an example must not lean on package-private access). Formulas, byte layouts and other
 *       text that is not Java go in a bare {@code <pre>...</pre>}, without {@code {@code}}.</li>
 *   <li>An example is either a whole compilation unit (imports and top-level classes, e.g. a
 *       program with {@code main}) or a sequence of statements and local class declarations,
 *       compiled as the body of a method that may throw. Every variable it uses is declared in it, or named
 *       on a first line {@code // given: RunConfig config, TrainingListener listener}: those
 *       become the method's parameters, so an example may start from values the reader already
 *       has and is still checked against the types and methods it uses.</li>
 * </ul>
 * Only compiled, never run: that keeps the test fast, and the README's first example also runs
 * in {@code ReadmeExampleTest}. Failures name the Markdown or Java file and the line of the error.
 */
class CodeExamplesCompileTest {

    static final Path ROOT = ReferencesResolveTest.ROOT;

    /** One example: where it came from, its imports, and its body. */
    record Example(Path file, int firstLine, String pkgToImport, List<String> imports, List<String> body) {}

    /** The first line of an example that names the values it starts from. */
    static final java.util.regex.Pattern GIVEN = java.util.regex.Pattern.compile("^\\s*// given: (.+)$");

    @Test
    void everyExampleCompiles() {
        List<Example> examples = new ArrayList<>();
        for (Path f : ReferencesResolveTest.sourceFiles()) {
            if (f.toString().endsWith(".md")) examples.addAll(markdownExamples(f));
            else if (f.toString().replace('\\', '/').contains("/src/main/java/")) examples.addAll(javadocExamples(f));
        }
        long fromReadme = examples.stream().filter(e -> e.file().getFileName().toString().equals("README.md")
                && e.file().getParent().equals(ROOT)).count();
        long fromJavadoc = examples.stream().filter(e -> e.file().toString().endsWith(".java")).count();
        assertTrue(fromReadme >= 1, "no ```java example found in README.md");
        assertTrue(fromJavadoc >= 2, "only " + fromJavadoc + " <pre>{@code} examples found in Javadoc");
        List<String> errors = compile(examples);
        assertTrue(errors.isEmpty(), errors.size() + " compile errors in " + examples.size() + " examples:\n  "
                + String.join("\n  ", errors));
    }

    @Test
    void anErrorIsReportedAtItsFileAndLine() {
        Path readme = ROOT.resolve("README.md");
        Example good = new Example(readme, 10, null, List.of("import org.segloss.tensor.Tensor;"),
                List.of("Tensor t = Tensor.zeros(2, 3);", "Tensor s = t.sum();"));
        Example bad = new Example(readme, 20, null, List.of("import org.segloss.tensor.Tensor;"),
                List.of("Tensor t = Tensor.zeros(2, 3);", "Tensor u = t.noSuchMethod();"));
        assertEquals(List.of(), compile(List.of(good)));
        List<String> errors = compile(List.of(good, bad));
        assertEquals(1, errors.size(), String.join("\n", errors));
        assertTrue(errors.get(0).startsWith("README.md:21: "), errors.get(0));   // body line 2; line 1 is line 20
    }

    @Test
    void aGivenLineDeclaresTheValuesAnExampleStartsFrom() {
        Path readme = ROOT.resolve("README.md");
        List<String> imports = List.of("import org.segloss.tensor.Tensor;");
        Example given = new Example(readme, 1, null, imports, List.of("// given: Tensor t, int axis", "Tensor s = t.sum(new int[] {axis}, false);"));
        Example missing = new Example(readme, 5, null, imports, List.of("Tensor s = t.sum();"));
        Example wrongType = new Example(readme, 9, null, imports, List.of("// given: String t", "Tensor s = t.sum();"));
        assertEquals(List.of(), compile(List.of(given)));
        List<String> errors = compile(List.of(missing, wrongType));
        assertEquals(2, errors.size(), String.join("\n", errors));
        assertTrue(errors.get(0).startsWith("README.md:5: ") && errors.get(1).startsWith("README.md:10: "), String.join("\n", errors));
    }

    @Test
    void aWholeProgramIsCompiledAsItsOwnCompilationUnit() {
        Path readme = ROOT.resolve("README.md");
        List<String> imports = List.of("import org.segloss.tensor.Tensor;");
        List<String> program = List.of(
                "public final class Prog {",
                "    public static void main(String[] args) {",
                "        Tensor t = Tensor.zeros(Integer.parseInt(args[0]));",
                "    }",
                "}");
        assertEquals("Prog", compilationUnitClass(program));
        assertEquals(null, compilationUnitClass(List.of("final class A {}", "A a = new A();")));
        assertEquals(List.of(), compile(List.of(new Example(readme, 30, null, imports, program))));
        List<String> broken = new ArrayList<>(program);
        broken.set(2, "        Tensor t = Tensor.zeros(args);");
        List<String> errors = compile(List.of(new Example(readme, 30, null, imports, broken)));
        assertEquals(1, errors.size(), String.join("\n", errors));
        assertTrue(errors.get(0).startsWith("README.md:32: "), errors.get(0));
    }

    @Test
    void javadocExamplesAreExtractedFromPreCodeBlocksOnly() throws IOException {
        Path dir = Files.createDirectories(ROOT.resolve("examples/target/examples-planted/src/main/java/p"));
        Path src = dir.resolve("Planted.java");
        Files.writeString(src, String.join("\n",
                "package p;",
                "import java.util.List;",
                "/**",
                " * Text.",
                " * <pre>",
                " *   f = 1 - D           (a formula: not compiled)",
                " * </pre>",
                " * <pre>{@code",
                " * List<String> xs = List.of(\"a\");",
                " * }</pre>",
                " */",
                "class Planted {}",
                ""));
        List<Example> found = javadocExamples(src);
        assertEquals(1, found.size());
        assertEquals(9, found.get(0).firstLine());
        assertEquals("p", found.get(0).pkgToImport());
        assertEquals(List.of("import java.util.List;"), found.get(0).imports());
        assertEquals(List.of("List<String> xs = List.of(\"a\");"), found.get(0).body());
    }

    // ---- extraction -----------------------------------------------------------------------------

    static List<Example> markdownExamples(Path md) {
        List<String> lines = ReferencesResolveTest.read(md);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).strip().toLowerCase(Locale.ROOT).equals("```java")) continue;
            int start = i + 1;
            List<String> block = new ArrayList<>();
            for (i = start; i < lines.size() && !lines.get(i).strip().startsWith("```"); i++) block.add(lines.get(i));
            out.add(split(md, start + 1, null, List.of(), block));
        }
        return out;
    }

    static List<Example> javadocExamples(Path java) {
        List<String> lines = ReferencesResolveTest.read(java);
        String pkg = null;
        List<String> fileImports = new ArrayList<>();
        for (String l : lines) {
            String s = l.strip();
            if (s.startsWith("package ")) pkg = s.substring(8, s.indexOf(';')).strip();
            else if (s.startsWith("import ")) fileImports.add(s);
        }
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).strip().equals("* <pre>{@code")) continue;
            int start = i + 1;
            List<String> block = new ArrayList<>();
            for (i = start; i < lines.size() && !lines.get(i).strip().startsWith("* }</pre>"); i++) {
                block.add(lines.get(i).replaceFirst("^\\s*\\* ?", ""));
            }
            out.add(split(java, start + 1, pkg, fileImports, block));
        }
        return out;
    }

    /** Moves the example's leading import lines (and blank lines) out of the body. */
    static Example split(Path file, int firstLine, String pkg, List<String> contextImports, List<String> block) {
        List<String> imports = new ArrayList<>(contextImports);
        int k = 0;
        for (; k < block.size(); k++) {
            String s = block.get(k).strip();
            if (s.startsWith("import ")) imports.add(s);
            else if (!s.isEmpty()) break;
        }
        // the body keeps its line numbers: an empty line stands where each import was
        List<String> body = new ArrayList<>();
        for (int j = 0; j < block.size(); j++) body.add(j < k ? "" : block.get(j));
        while (!body.isEmpty() && body.get(0).isEmpty()) {
            body.remove(0);
            firstLine++;
        }
        return new Example(file, firstLine, pkg, imports, body);
    }

    // ---- compilation ----------------------------------------------------------------------------

    static final java.util.regex.Pattern TYPE_DECLARATION = java.util.regex.Pattern.compile(
            "^(?:public |final |abstract |sealed )*(?:class|record|interface|enum) (\\w+).*");

    /**
     * The name of the class when the example is a whole compilation unit (top-level type
     * declarations only: every line at column 0 opens a type, closes one, or is an annotation or
     * a comment), else null: then it is a method body.
     */
    static String compilationUnitClass(List<String> body) {
        String first = null;
        for (String l : body) {
            if (l.isBlank() || Character.isWhitespace(l.charAt(0))) continue;
            java.util.regex.Matcher m = TYPE_DECLARATION.matcher(l);
            if (m.matches()) {
                if (first == null || l.startsWith("public ")) first = m.group(1);
            } else if (!(l.startsWith("}") || l.startsWith("@") || l.startsWith("//") || l.startsWith("/*") || l.startsWith("*"))) {
                return null;
            }
        }
        return first;
    }

    /** Compiles all examples in one javac run; returns "file:line: message" per error. */
    static List<String> compile(List<Example> examples) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertTrue(javac != null, "the tests need a JDK (javax.tools.JavaCompiler), not a JRE");
        List<JavaFileObject> units = new ArrayList<>();
        List<Integer> bodyOffsets = new ArrayList<>();
        for (int n = 0; n < examples.size(); n++) {
            Example e = examples.get(n);
            StringBuilder src = new StringBuilder("package org.segloss.docs.examples.ex" + n + ";\n");
            int header = 1;
            if (e.pkgToImport() != null) {
                src.append("import ").append(e.pkgToImport()).append(".*;\n");
                header++;
            }
            for (String imp : e.imports()) {
                src.append(imp).append('\n');
                header++;
            }
            String className = compilationUnitClass(e.body());
            if (className == null) {
                java.util.regex.Matcher given = e.body().isEmpty() ? null : GIVEN.matcher(e.body().get(0));
                String parameters = given != null && given.matches() ? given.group(1).strip() : "";
                className = "Example";
                src.append("@SuppressWarnings(\"unused\") final class Example")
                        .append(" { static void run(").append(parameters).append(") throws Exception {\n");
                header++;
            }
            for (String l : e.body()) src.append(l).append('\n');
            if (className.equals("Example")) src.append("}}\n");
            bodyOffsets.add(header);
            String name = "org/segloss/docs/examples/ex" + n + "/" + className + ".java";
            units.add(new SimpleJavaFileObject(URI.create("string:///" + name), JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return src;
                }
            });
        }
        Path out;
        try {
            out = Files.createDirectories(ROOT.resolve("examples/target/compiled-examples"));
        } catch (IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<String> options = List.of("--add-modules", "jdk.incubator.vector", "-proc:none", "-Xlint:none",
                "-classpath", System.getProperty("java.class.path"), "-d", out.toString());
        javac.getTask(null, null, diagnostics, options, null, units).call();
        List<String> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() != Diagnostic.Kind.ERROR) continue;
            String where = "(no source)";
            if (d.getSource() != null) {
                String uri = d.getSource().toUri().toString();
                int n = Integer.parseInt(uri.replaceAll(".*/ex(\\d+)/\\w+\\.java$", "$1"));
                Example e = examples.get(n);
                long bodyLine = d.getLineNumber() - bodyOffsets.get(n);   // 1-based line in the body
                where = ROOT.relativize(e.file().toAbsolutePath().normalize()) + ":"
                        + (bodyLine >= 1 && bodyLine <= e.body().size() ? e.firstLine() + bodyLine - 1 : e.firstLine());
            }
            errors.add(where + ": " + d.getMessage(Locale.ROOT).replace('\n', ' '));
        }
        return errors;
    }
}
