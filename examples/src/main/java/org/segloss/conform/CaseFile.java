package org.segloss.conform;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A {@code cases.json} of {@code schema_version} 1 (see {@code spec/vectors/README.md}). JSON names
 * are snake_case, record components camelCase. Options stay generic maps ({@code Double},
 * {@code Boolean}, {@code String}, {@code List}, {@code Map}, null) because their keys depend on the
 * reference; {@link CaseOptions} reads them.
 *
 * @param dir the folder holding the cases file, where every case's {@code .npy} files are
 */
public record CaseFile(Path dir, int schemaVersion, String set, String generator, Map<String, Reference> references,
                       Integer ignoreLabel, Integer numCases, List<Case> cases) {

    /** The only schema this reader knows. */
    public static final int SCHEMA_VERSION = 1;

    private static final Gson GSON = new GsonBuilder()
            .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
            .serializeNulls()
            .create();

    /** Where a reference came from and how it was called. */
    public record Reference(String repo, String commit, String file, String symbol, String call) {}

    /** A saved array and its declared properties. */
    public record ArraySpec(String file, String kind, String dtype, List<Integer> shape, String layout, Integer ignoreLabel,
                            List<Integer> labelsPresent, String description) {}

    /** The expected values: loss/grad for task {@code loss}, dist for {@code distance_map}. */
    public record Expected(Double loss, String lossFile, String gradFile, List<Integer> gradShape, String dtype,
                           String distFile, List<Integer> distShape, String layout) {}

    /** One case; see the README's field table. */
    public record Case(String id, String task, String loss, Reference reference, Map<String, Object> options,
                       Map<String, Object> effectiveOptions, Map<String, Object> implicitConstants, Integer numClasses,
                       Integer spatialDims, ArraySpec input, String preActivation, ArraySpec target,
                       Map<String, ArraySpec> auxInputs, Expected expected, String conformance, String notes, String quirk) {

        /** {@code "standard"} when the field is absent, as check_npy.py assumes. */
        public String conformanceOrStandard() { return conformance == null ? "standard" : conformance; }

        /** {@code "none"} when absent. */
        public String preActivationOrNone() { return preActivation == null ? "none" : preActivation; }

        @Override
        public String toString() { return id; }
    }

    /** The file as Gson sees it (no {@code dir}: Gson has no business with {@link Path}). */
    private record Raw(int schemaVersion, String set, String generator, Map<String, Reference> references,
                       Integer ignoreLabel, Integer numCases, List<Case> cases) {}

    /** Reads and checks a cases file. */
    public static CaseFile load(Path casesJson) throws IOException {
        Raw raw;
        try (Reader r = Files.newBufferedReader(casesJson)) {
            raw = GSON.fromJson(r, Raw.class);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("CaseFile.load: " + casesJson + " is not a valid cases.json: " + e.getMessage(), e);
        }
        if (raw == null) throw new IllegalArgumentException("CaseFile.load: " + casesJson + " is empty");
        if (raw.schemaVersion != SCHEMA_VERSION) {
            throw new IllegalArgumentException("CaseFile.load: " + casesJson + ": schema_version must be " + SCHEMA_VERSION
                    + ", got " + raw.schemaVersion);
        }
        if (raw.cases == null) throw new IllegalArgumentException("CaseFile.load: " + casesJson + ": 'cases' is missing");
        for (int i = 0; i < raw.cases.size(); i++) {
            Case c = raw.cases.get(i);
            if (c == null || c.id == null || c.task == null || c.reference == null || c.reference.symbol == null
                    || c.target == null || c.expected == null) {
                throw new IllegalArgumentException("CaseFile.load: " + casesJson + ": case " + i
                        + " must have id, task, reference.symbol, target and expected, got " + (c == null ? "null" : c.id));
            }
        }
        Path dir = casesJson.toAbsolutePath().getParent();
        return new CaseFile(dir, raw.schemaVersion, raw.set, raw.generator, raw.references, raw.ignoreLabel, raw.numCases,
                List.copyOf(raw.cases));
    }
}
