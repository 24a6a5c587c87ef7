using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace DrAssistant.MigrationService.Postgres;

/// <summary>
/// A name for everything that decides the SQL this build generates for its migrations: two runs with the same identity
/// generate the same SQL, so a run whose identity has its checksums recorded (<see cref="BuildChecksums"/>) need not
/// generate it again to validate the applied versions.
/// <para>
/// The migrations assembly is identified by a SHA-256 of its file, not by its MVID: with deterministic builds (the SDK's
/// default) the MVID is itself a hash of the compiled code, but a file changed after compilation (an IL rewriter, a
/// patched binary) keeps its MVID, and a file hash cannot be fooled that way. It costs about a millisecond. The
/// FluentMigrator assemblies (expressions, conventions, the PostgreSQL generator) are identified by their MVIDs: a
/// different release is a different build of theirs. Our own other assemblies count too, should a migration ever call
/// into one. Then the settings that shape the SQL (the schema) and, for safety, the runtime version and culture.
/// </para>
/// </summary>
public static class BuildIdentity
{
    /// <summary>Bumped whenever what the identity covers changes.</summary>
    private const string Format = "dr-build-1";

    public static string Of(Assembly migrations, string schema)
    {
        var text = new StringBuilder(Format).Append('\n');
        text.Append("migrations ").Append(migrations.GetName().Name).Append(' ').Append(FileHash(migrations)).Append('\n');
        foreach (var reference in migrations.GetReferencedAssemblies()
                     .Where(r => r.Name is { } name && (name.StartsWith("FluentMigrator", StringComparison.Ordinal) || name.StartsWith("DrAssistant.", StringComparison.Ordinal)))
                     .OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            text.Append(reference.Name).Append(' ').Append(Assembly.Load(reference).ManifestModule.ModuleVersionId.ToString("N")).Append('\n');
        }

        text.Append("schema ").Append(schema).Append('\n');
        text.Append("runtime ").Append(Environment.Version).Append(' ').Append(CultureInfo.CurrentCulture.Name).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string FileHash(Assembly assembly)
    {
        // An assembly loaded from memory or bundled into a single file has no file of its own: fall back to its MVID.
        var mvid = "mvid:" + assembly.ManifestModule.ModuleVersionId.ToString("N");
        if (string.IsNullOrEmpty(assembly.Location))
        {
            return mvid;
        }

        try
        {
            using var file = new FileStream(assembly.Location, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            return Convert.ToHexStringLower(SHA256.HashData(file));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return mvid;
        }
    }
}
