package dev.yolotrt.docs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The docs' {@code java spark} blocks compile against this module and Spark (the toolkit's test has no Spark). */
class SparkDocSnippetsTest {

    @Test
    void sparkBlocksCompile(@TempDir Path tmp) throws Exception {
        List<DocSnippetsTest.Snippet> spark = DocSnippetsTest.snippets(DocSnippetsTest.root()).stream()
                .filter(s -> "spark".equals(s.marker())).toList();
        assertFalse(spark.isEmpty(), "no ```java spark block in README.md or docs/");
        String errors = DocSnippetsTest.compile(spark, tmp);
        assertTrue(errors.isEmpty(), "Spark doc snippets that do not compile:\n" + errors);
    }
}
