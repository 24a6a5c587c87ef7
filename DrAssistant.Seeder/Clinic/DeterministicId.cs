using System.Security.Cryptography;
using System.Text;
using MongoDB.Bson;

namespace DrAssistant.Seeder.Clinic;

/// <summary>
/// Identifiers computed from a name (the seed, the kind of row and its number), so the same seed always gives the same
/// ids: the demo can be written again without duplicating anything, and two databases seeded alike hold the same rows.
/// UUIDs are RFC 9562 version 8 (custom) over SHA-256, so they never collide with the database's random version 4.
/// </summary>
internal static class DeterministicId
{
    public static Guid For(int seed, string kind, int index) => FromName($"{seed}/{kind}/{index}");

    public static Guid For(int seed, string kind, string key) => FromName($"{seed}/{kind}/{key}");

    /// <summary>
    /// A MongoDB ObjectId: the creation time in its first four bytes (as the server expects), a hash of the name in the
    /// other eight.
    /// </summary>
    public static ObjectId ObjectIdFor(DateTime createdAtUtc, string name)
    {
        Span<byte> bytes = stackalloc byte[12];
        var seconds = (uint)new DateTimeOffset(createdAtUtc, TimeSpan.Zero).ToUnixTimeSeconds();
        bytes[0] = (byte)(seconds >> 24);
        bytes[1] = (byte)(seconds >> 16);
        bytes[2] = (byte)(seconds >> 8);
        bytes[3] = (byte)seconds;
        SHA256.HashData(Encoding.UTF8.GetBytes("drassistant-seed/" + name))[..8].CopyTo(bytes[4..]);
        return new ObjectId(bytes.ToArray());
    }

    private static Guid FromName(string name)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes("drassistant-seed/" + name), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }
}
