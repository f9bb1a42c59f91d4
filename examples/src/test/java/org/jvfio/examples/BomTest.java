package org.jvfio.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The BOM pins every published module of the reactor, and nothing else. */
class BomTest {
  private static final Path ROOT = Path.of("..");
  private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
  private static final Pattern ARTIFACT = Pattern.compile("<artifactId>(jvfio-[^<]+)</artifactId>");

  @Test
  void bom_listsEveryPublishedModuleAndNothingElse() throws IOException {
    Set<String> published = new TreeSet<>();
    Matcher modules = MODULE.matcher(read(ROOT.resolve("pom.xml")));
    while (modules.find()) {
      String pom = read(ROOT.resolve(modules.group(1)).resolve("pom.xml"));
      boolean notPublished = pom.contains("<maven.deploy.skip>true</maven.deploy.skip>");
      if (!modules.group(1).equals("bom") && !notPublished) {
        Matcher own = Pattern.compile("</parent>\\s*<artifactId>([^<]+)</artifactId>").matcher(pom);
        own.find();
        published.add(own.group(1));
      }
    }
    Set<String> pinned = new TreeSet<>();
    String bom = read(ROOT.resolve("bom/pom.xml"));
    String managed =
        bom.substring(
            bom.indexOf("<dependencyManagement>"), bom.indexOf("</dependencyManagement>"));
    Matcher groups = Pattern.compile("<groupId>([^<]+)</groupId>").matcher(managed);
    while (groups.find()) {
      assertEquals("org.jvfio", groups.group(1), "a third-party pin in the BOM");
    }
    Matcher artifacts = ARTIFACT.matcher(managed);
    while (artifacts.find()) {
      pinned.add(artifacts.group(1));
    }
    assertEquals(published, pinned);
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }
}
