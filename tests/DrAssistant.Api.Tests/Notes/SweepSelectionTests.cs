using System.Buffers.Binary;
using DrAssistant.Api.Notes;
using DrAssistant.Api.Recordings;
using MongoDB.Bson;
using Xunit.Abstractions;

namespace DrAssistant.Api.Tests.Notes;

/// <summary>Alone, so other tests' allocations do not blur the live-memory measure.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SweepMemoryCollection
{
    public const string Name = "sweep memory";
}

/// <summary>
/// The sweep's choice at scale, without a server: the walk over a million files fed by an in-memory catalog that
/// answers the two questions (a page of files, which of them something refers to) from a formula, so the catalog
/// itself holds nothing. It feeds the pure selection code; it does not imitate MongoDB.
/// </summary>
[Collection(SweepMemoryCollection.Name)]
public sealed class SweepSelectionTests(ITestOutputHelper output)
{
    private const int Million = 1_000_000;
    private const int Batch = RecordingSweep.BatchSize;

    /// <summary>
    /// Far below what a walk that gathers ids would hold: the sweep this replaces kept every recording's file id in a
    /// set (about 900,000 here, over 20 MB); the check below shows the measure sees such a set.
    /// </summary>
    private const long LiveBytesBound = 8L * 1024 * 1024;

    private static readonly DateTime Now = new(2026, 5, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Cutoff = Now.AddHours(-6);

    [Fact]
    public async Task AMillionFilesAreWalkedInBatchesHoldingOneBatchAtATime()
    {
        var catalog = new FormulaCatalog(Million, young: 100);
        var baseline = LiveBytes();
        long orphans = 0, examined = 0, checksum = 0;

        await foreach (var batch in OrphanAudio.OrphanFilesAsync(catalog, Cutoff, Batch, CancellationToken.None))
        {
            examined += batch.Examined;
            orphans += batch.Orphans.Count;
            checksum += batch.Orphans.Sum(FormulaCatalog.Index);
            if (catalog.Pages % 200 == 0)
            {
                catalog.PeakLiveBytes = Math.Max(catalog.PeakLiveBytes, LiveBytes() - baseline);
            }
        }

        // Files i with i % 10 == 0 have no recording; those with i % 30 == 0 are a note's attachment; the last 100 are young.
        var old = Enumerable.Range(0, Million - 100);
        Assert.Equal(Million - 100, examined);
        Assert.Equal(old.Count(i => i % 10 == 0 && i % 30 != 0), orphans);
        Assert.Equal(old.Where(i => i % 10 == 0 && i % 30 != 0).Sum(i => (long)i), checksum);
        Assert.Equal((Million - 100 + Batch - 1) / Batch, catalog.Pages);
        Assert.InRange(catalog.LargestQuestion, 1, Batch);
        Assert.InRange(catalog.LargestAnswer, 1, Batch);
        Assert.InRange(catalog.PeakLiveBytes, long.MinValue, LiveBytesBound);
        output.WriteLine($"{examined:N0} files examined in {catalog.Pages:N0} pages; {orphans:N0} orphans; largest question {catalog.LargestQuestion}, " +
                         $"largest answer {catalog.LargestAnswer}; peak live growth {catalog.PeakLiveBytes / 1024.0:N0} KiB (bound {LiveBytesBound / 1024 / 1024} MiB)");
    }

    [Fact]
    public async Task AMillionUploadsAreCheckedForTheirFileDocumentInBatches()
    {
        var catalog = new FormulaCatalog(Million, young: 100);
        var baseline = LiveBytes();
        long dead = 0, examined = 0;

        await foreach (var batch in OrphanAudio.UnfinishedUploadsAsync(catalog, Cutoff, Batch, CancellationToken.None))
        {
            examined += batch.Examined;
            dead += batch.Orphans.Count;
            if (catalog.Pages % 200 == 0)
            {
                catalog.PeakLiveBytes = Math.Max(catalog.PeakLiveBytes, LiveBytes() - baseline);
            }
        }

        // Uploads i with i % 1000 == 7 never wrote their file document; the last 100 began after the cutoff.
        Assert.Equal(Million - 100, examined);
        Assert.Equal(Enumerable.Range(0, Million - 100).Count(i => i % 1000 == 7), dead);
        Assert.InRange(catalog.LargestQuestion, 1, Batch);
        Assert.InRange(catalog.LargestAnswer, 1, Batch);
        Assert.InRange(catalog.PeakLiveBytes, long.MinValue, LiveBytesBound);
        output.WriteLine($"{examined:N0} uploads examined, {dead:N0} dead; peak live growth {catalog.PeakLiveBytes / 1024.0:N0} KiB");
    }

    [Fact]
    public void TheMeasureSeesASetOfEveryReferencedId()
    {
        // The shape of the sweep this replaced: every recording's file id in one set. The same measure must exceed the bound.
        var baseline = LiveBytes();
        var referenced = new HashSet<ObjectId>();
        for (var i = 0; i < Million; i++)
        {
            if (i % 10 != 0)
            {
                referenced.Add(FormulaCatalog.Id(i));
            }
        }

        var held = LiveBytes() - baseline;
        output.WriteLine($"a set of {referenced.Count:N0} ids holds {held / 1024.0 / 1024:N1} MiB");
        Assert.True(held > LiveBytesBound, $"{held} bytes");
        GC.KeepAlive(referenced);
    }

    [Fact]
    public async Task AFileANoteAttachesIsKeptLikeOneARecordingUses()
    {
        var catalog = new FormulaCatalog(100, young: 0);

        var orphans = new List<ObjectId>();
        await foreach (var batch in OrphanAudio.OrphanFilesAsync(catalog, Cutoff, 30, CancellationToken.None))
        {
            orphans.AddRange(batch.Orphans);
        }

        // 0, 30, 60 and 90 are attachments of notes, not orphans.
        Assert.Equal([10, 20, 40, 50, 70, 80], orphans.Select(FormulaCatalog.Index));
    }

    [Fact]
    public async Task APageThatDoesNotMoveForwardStopsTheSweepInsteadOfLoopingOrSkipping()
    {
        var stuck = new FormulaCatalog(10_000, young: 0) { RepeatFirstPage = true };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var _ in OrphanAudio.OrphanFilesAsync(stuck, Cutoff, 100, CancellationToken.None))
            {
            }
        });

        Assert.Contains("not in ascending id order", error.Message, StringComparison.Ordinal);
    }

    private static long LiveBytes() => GC.GetTotalMemory(forceFullCollection: true);

    /// <summary>
    /// A catalog of <c>count</c> files computed from their number: file i's id carries i, its upload is old unless it
    /// is among the last <c>young</c>; a recording uses it unless i % 10 == 0, a note attaches it when i % 30 == 0, and
    /// an upload's file document is missing when i % 1000 == 7. Nothing is stored, so memory measured is the walk's.
    /// </summary>
    private sealed class FormulaCatalog(int count, int young) : IAudioCatalog
    {
        public int Pages { get; private set; }

        public int LargestQuestion { get; private set; }

        public int LargestAnswer { get; private set; }

        public long PeakLiveBytes { get; set; }

        public bool RepeatFirstPage { get; init; }

        /// <summary>Seconds from 2026-01-01, one per thousand files, so ids ascend with i; a young one began a minute ago.</summary>
        public static ObjectId Id(int i, bool young = false)
        {
            var bytes = new byte[12];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, young ? (uint)new DateTimeOffset(Now.AddMinutes(-1)).ToUnixTimeSeconds() : (uint)(1_767_225_600 + i / 1000));
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(4), i);
            return new ObjectId(bytes);
        }

        public static int Index(ObjectId id) => (int)BinaryPrimitives.ReadInt64BigEndian(id.ToByteArray().AsSpan(4));

        public Task<IReadOnlyList<StoredAudio>> FilesAsync(ObjectId after, DateTime uploadedBefore, int limit, CancellationToken cancellationToken)
        {
            Pages++;
            var start = after == ObjectId.Empty || (RepeatFirstPage && Pages > 1) ? 0 : Index(after) + 1;
            var page = new List<StoredAudio>(limit);
            for (var i = start; i < count && page.Count < limit; i++)
            {
                if (UploadDate(i) < uploadedBefore)
                {
                    page.Add(new StoredAudio(Id(i, IsYoung(i)), UploadDate(i)));
                }
            }

            return Task.FromResult<IReadOnlyList<StoredAudio>>(page);
        }

        public Task<IReadOnlySet<ObjectId>> ReferencedAsync(IReadOnlyList<ObjectId> fileIds, CancellationToken cancellationToken)
        {
            LargestQuestion = Math.Max(LargestQuestion, fileIds.Count);
            var referenced = fileIds.Where(id => Index(id) % 10 != 0 || Index(id) % 30 == 0).ToHashSet();
            LargestAnswer = Math.Max(LargestAnswer, referenced.Count);
            return Task.FromResult<IReadOnlySet<ObjectId>>(referenced);
        }

        public Task<IReadOnlyList<ObjectId>> UploadsAsync(ObjectId after, ObjectId before, int limit, CancellationToken cancellationToken)
        {
            Pages++;
            var start = after == ObjectId.Empty ? 0 : Index(after) + 1;
            var page = new List<ObjectId>(limit);
            for (var i = start; i < count && page.Count < limit; i++)
            {
                if (Id(i, IsYoung(i)) < before)
                {
                    page.Add(Id(i, IsYoung(i)));
                }
            }

            return Task.FromResult<IReadOnlyList<ObjectId>>(page);
        }

        public Task<IReadOnlySet<ObjectId>> ExistingFilesAsync(IReadOnlyList<ObjectId> fileIds, CancellationToken cancellationToken)
        {
            LargestQuestion = Math.Max(LargestQuestion, fileIds.Count);
            var existing = fileIds.Where(id => Index(id) % 1000 != 7).ToHashSet();
            LargestAnswer = Math.Max(LargestAnswer, existing.Count);
            return Task.FromResult<IReadOnlySet<ObjectId>>(existing);
        }

        private bool IsYoung(int i) => i >= count - young;

        private DateTime UploadDate(int i) => IsYoung(i) ? Now.AddMinutes(-1) : new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i / 1000.0);
    }
}
