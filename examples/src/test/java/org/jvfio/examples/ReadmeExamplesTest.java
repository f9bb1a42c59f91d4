package org.jvfio.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.MigrationFsm;
import org.jvfio.core.vfio.MigrationState;

/**
 * Runs the README's Java examples and checks that the README shows each one as it stands in this
 * module's sources: its statements verbatim (up to whitespace), and exactly the imports they need.
 */
class ReadmeExamplesTest {
  private static final Path README = Path.of("..", "README.md");
  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);

  @Test
  void firstHarvest_reportsTheWholeDirtyLeaf() {
    assertEquals(262144, FirstHarvest.dirtyPages());
  }

  @Test
  void ioasAllocSyscall_succeedsWithAnIoasId() {
    int[] rcAndId = IoasAllocSyscall.resultAndIoasId();
    assertEquals(0, rcAndId[0]);
    assertTrue(rcAndId[1] > 0, "IOAS id " + rcAndId[1]);
  }

  @Test
  void legacyContainer_physicalGroupReportsEveryMappedPage() {
    assertArrayEquals(new long[] {-1L, 0x3F}, LegacyContainer.report());
  }

  @Test
  void migrationPath_pathAsCommentedThenEinval() {
    var flags = EnumSet.allOf(MigrationFlag.class);
    assertEquals(
        "[PRE_COPY->RUNNING, RUNNING->RUNNING_P2P, RUNNING_P2P->STOP, STOP->RESUMING]",
        MigrationFsm.path(flags, MigrationState.PRE_COPY, MigrationState.RESUMING).toString());
    assertEquals(Errno.EINVAL, assertThrows(UapiException.class, MigrationPath::run).errno());
  }

  @Test
  void readme_everyJavaBlockIsInTheSourcesWithExactlyItsImports() throws IOException {
    List<String> blocks = javaBlocks();
    assertFalse(blocks.isEmpty(), "no ```java blocks in the README");
    List<Path> sources = sources();
    for (String block : blocks) {
      Set<String> imports = imports(block);
      assertFalse(imports.isEmpty(), "an example without its imports:\n" + block);
      String body = withoutImports(block);
      String squeezed = squeeze(body);
      Path source =
          sources.stream()
              .filter(p -> squeeze(read(p)).contains(squeezed))
              .findFirst()
              .orElseThrow(() -> new AssertionError("README example not in the sources:\n" + body));
      Set<String> fileImports = imports(read(source));
      assertTrue(
          fileImports.containsAll(imports),
          source + " lacks imports the README shows (unused ones?): " + imports);
      for (String extra : fileImports) {
        if (!imports.contains(extra)) {
          String simpleName = extra.substring(extra.lastIndexOf('.') + 1);
          assertFalse(
              Pattern.compile("\\b" + Pattern.quote(simpleName) + "\\b").matcher(body).find(),
              "the README example needs import " + extra + ":\n" + body);
        }
      }
    }
  }

  @Test
  void readme_blocksAreFound() {
    assertArrayEquals(
        new String[] {"a", "b"},
        javaBlocks("x\n```java\na\n```\ntext\n```java\nb\n```\n").stream()
            .map(String::strip)
            .toArray());
  }

  private static List<String> javaBlocks() throws IOException {
    return javaBlocks(Files.readString(README, StandardCharsets.UTF_8));
  }

  private static List<String> javaBlocks(String markdown) {
    List<String> blocks = new ArrayList<>();
    Matcher m = JAVA_BLOCK.matcher(markdown);
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  private static List<Path> sources() throws IOException {
    try (Stream<Path> files = Files.walk(Path.of("src"))) {
      return files.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList());
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError(file.toString(), e);
    }
  }

  /** The imported names, "static a.b.C.M" or "a.b.C". */
  private static Set<String> imports(String text) {
    return text.lines()
        .map(String::strip)
        .filter(l -> l.startsWith("import "))
        .map(l -> l.substring("import ".length(), l.length() - 1).strip())
        .collect(Collectors.toSet());
  }

  private static String withoutImports(String block) {
    return block
        .lines()
        .filter(l -> !l.strip().startsWith("import "))
        .collect(Collectors.joining("\n"))
        .strip();
  }

  private static String squeeze(String text) {
    return text.replaceAll("\\s+", "");
  }
}
