using DrAssistant.Api.Notes;
using DrAssistant.Api.Recordings;
using MongoDB.Bson;

namespace DrAssistant.Api.Tests.Notes;

/// <summary>Which GridFS audio the sweep deletes, decided without a server.</summary>
public sealed class OrphanAudioTests
{
    private static readonly DateTime Now = new(2026, 5, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Cutoff = Now.AddHours(-6);

    [Fact]
    public void AudioOlderThanTheGracePeriodThatNoRecordingRefersToIsSwept()
    {
        var expired = new StoredAudio(ObjectId.GenerateNewId(Now.AddDays(-100)), Now.AddDays(-100));
        var recorded = new StoredAudio(ObjectId.GenerateNewId(Now.AddDays(-100)), Now.AddDays(-100));
        var uploading = new StoredAudio(ObjectId.GenerateNewId(Now.AddMinutes(-5)), Now.AddMinutes(-1));
        var atCutoff = new StoredAudio(ObjectId.GenerateNewId(Cutoff), Cutoff);

        var orphans = OrphanAudio.Files([expired, recorded, uploading, atCutoff], new HashSet<ObjectId> { recorded.Id }, Cutoff);

        Assert.Equal([expired.Id], orphans);
    }

    [Fact]
    public void ChunksOfAnUploadThatNeverFinishedAreSweptOnceItBeganBeforeTheGracePeriod()
    {
        var died = ObjectId.GenerateNewId(Now.AddDays(-1));
        var finished = ObjectId.GenerateNewId(Now.AddDays(-1));
        var inProgress = ObjectId.GenerateNewId(Now.AddMinutes(-10));

        var orphans = OrphanAudio.UnfinishedUploads([died, died, finished, inProgress], new HashSet<ObjectId> { finished }, Cutoff);

        Assert.Equal([died], orphans);
    }

    [Fact]
    public void NothingIsSweptWhenEveryFileHasItsRecording()
    {
        var files = Enumerable.Range(1, 5).Select(i => new StoredAudio(ObjectId.GenerateNewId(Now.AddDays(-i)), Now.AddDays(-i))).ToList();

        Assert.Empty(OrphanAudio.Files(files, files.Select(f => f.Id).ToHashSet(), Cutoff));
    }

    [Fact]
    public void TheSmallestIdOfAnInstantOrdersBeforeEveryIdMadeThenOrLater()
    {
        var bound = OrphanAudio.SmallestIdAt(Cutoff);

        Assert.Equal(Cutoff, bound.CreationTime);
        Assert.True(ObjectId.GenerateNewId(Cutoff) >= bound);
        Assert.True(ObjectId.GenerateNewId(Cutoff.AddSeconds(1)) > bound);
        Assert.True(ObjectId.GenerateNewId(Cutoff.AddSeconds(-1)) < bound);
    }
}
