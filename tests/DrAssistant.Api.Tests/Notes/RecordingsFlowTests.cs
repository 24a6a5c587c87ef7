using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DrAssistant.Api.Notes;
using DrAssistant.Api.Recordings;
using DrAssistant.Testing;
using Microsoft.Extensions.DependencyInjection;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.GridFS;

namespace DrAssistant.Api.Tests.Notes;

/// <summary>Voice recordings against a real MongoDB and GridFS (skipped, with the reason, where there is none).</summary>
public sealed class RecordingsFlowTests(MongoApiFactory api) : IClassFixture<MongoApiFactory>
{
    [SkippableFact]
    public async Task AMultipartUploadStoresTheAudioWithItsFieldsAndItsRetentionDate()
    {
        await MongoServer.RequireAsync();
        var (client, encounter) = await EncounterAsync();
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Pattern(5_000));
        file.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        form.Add(file, "file", "visit.wav");
        // Fields may follow the file: the metadata is written once the whole body is read.
        form.Add(new StringContent("45.5"), "duration");
        form.Add(new StringContent("Pixel 8"), "deviceInfo");
        var before = DateTime.UtcNow;

        var response = await client.PostAsync($"/api/encounters/{encounter}/recordings", form);

        var recording = await response.ReadAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal((45.5, 5_000L, "audio/wav", "processing"), (
            recording.GetProperty("duration").GetDouble(), recording.GetProperty("fileSize").GetInt64(),
            recording.GetProperty("mimeType").GetString(), recording.GetProperty("status").GetString()));
        Assert.Equal("Pixel 8", recording.GetProperty("metadata").GetProperty("deviceInfo").GetString());
        var expiresAt = recording.GetProperty("expiresAt").GetDateTime();
        Assert.InRange(expiresAt, before.AddDays(90).AddSeconds(-1), DateTime.UtcNow.AddDays(90).AddSeconds(1));
        var stored = await Files.Find(Builders<BsonDocument>.Filter.Eq("metadata.recordingId", ObjectId.Parse(recording.GetProperty("id").GetString()))).SingleAsync();
        Assert.Equal(5_000, stored["length"].ToInt64());
    }

    [SkippableFact]
    public async Task AWrongAudioTypeIs415WhetherSentRawOrAsAFormPartAndNothingIsStored()
    {
        await MongoServer.RequireAsync();
        var (client, encounter) = await EncounterAsync();
        var filesBefore = await Files.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty);
        using var form = new MultipartFormDataContent();
        var video = new ByteArrayContent(Pattern(100));
        video.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
        form.Add(new StringContent("12"), "duration");
        form.Add(video, "file", "visit.mp4");

        var multipart = await client.PostAsync($"/api/encounters/{encounter}/recordings", form);
        var raw = await client.PostAsync($"/api/encounters/{encounter}/recordings?duration=12", NotesWithoutMongoTests.Audio("video/mp4", 100));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, multipart.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, raw.StatusCode);
        Assert.Equal(filesBefore, await Files.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [SkippableFact]
    public async Task AnUploadForAnUnknownEncounterIs404()
    {
        await MongoServer.RequireAsync();
        var (client, _) = await EncounterAsync();

        var response = await client.PostAsync($"/api/encounters/{Guid.NewGuid()}/recordings?duration=3", NotesWithoutMongoTests.Audio("audio/webm", 10));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [SkippableFact]
    public async Task TheAudioComesBackWholeOrAsTheRangeAskedForWithTheRightHeaders()
    {
        await MongoServer.RequireAsync();
        var (client, encounter) = await EncounterAsync();
        // Longer than two GridFS chunks (255 KiB), so ranges cross chunk boundaries.
        var audio = Pattern(600_000);
        var recording = await UploadAsync(client, encounter, audio);
        var url = recording.GetProperty("audioUrl").GetString();

        var whole = await client.GetAsync(url);
        var across = await RangeAsync(client, url!, new RangeHeaderValue(261_000, 261_300));
        var suffix = await RangeAsync(client, url!, new RangeHeaderValue(null, 100));
        var beyond = await RangeAsync(client, url!, new RangeHeaderValue(600_000, null));

        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal("audio/webm", whole.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["bytes"], whole.Headers.AcceptRanges);
        Assert.Equal(audio, await whole.Content.ReadAsByteArrayAsync());

        Assert.Equal(HttpStatusCode.PartialContent, across.StatusCode);
        Assert.Equal("bytes 261000-261300/600000", across.Content.Headers.ContentRange?.ToString());
        Assert.Equal(audio[261_000..261_301], await across.Content.ReadAsByteArrayAsync());

        Assert.Equal(HttpStatusCode.PartialContent, suffix.StatusCode);
        Assert.Equal(audio[^100..], await suffix.Content.ReadAsByteArrayAsync());

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
        Assert.Equal("bytes */600000", beyond.Content.Headers.ContentRange?.ToString());
    }

    [SkippableFact]
    public async Task DeletingARecordingRemovesItsMetadataAndItsAudio()
    {
        await MongoServer.RequireAsync();
        var (client, encounter) = await EncounterAsync();
        var recording = await UploadAsync(client, encounter, Pattern(300_000));
        var id = recording.GetProperty("id").GetString();
        var fileId = (await Files.Find(Builders<BsonDocument>.Filter.Eq("metadata.recordingId", ObjectId.Parse(id))).SingleAsync())["_id"];

        var deleted = await client.DeleteAsync($"/api/recordings/{id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/recordings/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/recordings/{id}/audio")).StatusCode);
        Assert.Equal(0, await Files.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("_id", fileId)));
        Assert.Equal(0, await Chunks.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("files_id", fileId)));
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/recordings/{id}")).StatusCode);
    }

    [SkippableFact]
    public async Task ARecordingIsMarkedTranscribedWithItsNoteAfterAFailedAttemptAndThenStays()
    {
        await MongoServer.RequireAsync();
        var (client, encounter) = await EncounterAsync();
        var (otherClient, otherEncounter) = await EncounterAsync();
        var id = (await UploadAsync(client, encounter, Pattern(1_000))).GetProperty("id").GetString();
        var note = await NoteAsync(client, encounter);
        var otherNote = await NoteAsync(otherClient, otherEncounter);

        var failed = await client.PutJsonAsync($"/api/recordings/{id}/status", new { status = "error" });
        var wrongNote = await client.PutJsonAsync($"/api/recordings/{id}/status", new { status = "transcribed", transcriptionId = otherNote });
        var transcribed = await client.PutJsonAsync($"/api/recordings/{id}/status",
            new { status = "transcribed", transcriptionId = note, processingStats = new { transcriptionTime = 12.5, wordCount = 240, confidence = 0.91 } });
        var again = await client.PutJsonAsync($"/api/recordings/{id}/status", new { status = "error" });

        Assert.Equal("error", (await failed.ReadAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(["transcriptionId"], await wrongNote.InvalidFieldsAsync());
        var done = await transcribed.ReadAsync<JsonElement>();
        Assert.Equal(("transcribed", note), (done.GetProperty("status").GetString(), done.GetProperty("transcriptionId").GetString()));
        Assert.Equal(240, done.GetProperty("metadata").GetProperty("processingStats").GetProperty("wordCount").GetInt32());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [SkippableFact]
    public async Task TheSweepDeletesAudioWithoutARecordingButNotRecordedAudioOrFreshUploads()
    {
        await MongoServer.RequireAsync();
        var (client, encounter) = await EncounterAsync();
        var old = DateTime.UtcNow.AddDays(-2);
        var recordings = api.Mongo.GetCollection<BsonDocument>(VoiceRecording.CollectionName);

        // Its metadata was removed by the TTL index (as if): the audio must go.
        var expired = await FileOfAsync(await UploadAsync(client, encounter, Pattern(1_000)));
        await recordings.DeleteOneAsync(Builders<BsonDocument>.Filter.Eq("fileId", expired));
        await Files.UpdateOneAsync(Builders<BsonDocument>.Filter.Eq("_id", expired), Builders<BsonDocument>.Update.Set("uploadDate", old));
        // Still within its retention: the audio stays however old.
        var kept = await FileOfAsync(await UploadAsync(client, encounter, Pattern(1_000)));
        await Files.UpdateOneAsync(Builders<BsonDocument>.Filter.Eq("_id", kept), Builders<BsonDocument>.Update.Set("uploadDate", old));
        // Just uploaded, its recording not written yet: stays.
        var fresh = await new GridFSBucket(api.Mongo).UploadFromBytesAsync("fresh", Pattern(10));
        // Uploads that died before their file document: the old one goes, the one in progress stays.
        var died = ObjectId.GenerateNewId(old);
        var inProgress = ObjectId.GenerateNewId();
        await Chunks.InsertManyAsync([Chunk(died), Chunk(inProgress)]);

        var result = await api.Services.GetRequiredService<RecordingSweep>().RunOnceAsync(CancellationToken.None);

        Assert.True(result.FilesDeleted >= 1 && result.UnfinishedUploadsDeleted >= 1, $"{result}");
        Assert.Equal(0, await Files.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("_id", expired)));
        Assert.Equal(0, await Chunks.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("files_id", expired)));
        Assert.Equal(1, await Files.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("_id", kept)));
        Assert.Equal(1, await Files.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("_id", fresh)));
        Assert.Equal(0, await Chunks.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("files_id", died)));
        Assert.Equal(1, await Chunks.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("files_id", inProgress)));
    }

    [SkippableFact]
    public async Task AFileANoteAttachesSurvivesTheSweepUntilNothingRefersToIt()
    {
        await MongoServer.RequireAsync();
        var (client, encounter) = await EncounterAsync();
        var note = ObjectId.Parse(await NoteAsync(client, encounter));
        // Audio whose recording is gone (deleted, or expired by the TTL index), long ago, but attached to a note.
        var attached = await FileOfAsync(await UploadAsync(client, encounter, Pattern(2_000)));
        await api.Mongo.GetCollection<BsonDocument>(VoiceRecording.CollectionName).DeleteOneAsync(Builders<BsonDocument>.Filter.Eq("fileId", attached));
        await Files.UpdateOneAsync(Builders<BsonDocument>.Filter.Eq("_id", attached), Builders<BsonDocument>.Update.Set("uploadDate", DateTime.UtcNow.AddDays(-2)));
        var notes = api.Mongo.GetCollection<BsonDocument>(ClinicalNote.CollectionName);
        await notes.UpdateOneAsync(Builders<BsonDocument>.Filter.Eq("_id", note), Builders<BsonDocument>.Update.Push("attachments", attached));
        var sweep = api.Services.GetRequiredService<RecordingSweep>();

        await sweep.RunOnceAsync(CancellationToken.None);

        Assert.Equal(1, await Files.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("_id", attached)));
        Assert.True(await Chunks.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("files_id", attached)) > 0);

        await notes.UpdateOneAsync(Builders<BsonDocument>.Filter.Eq("_id", note), Builders<BsonDocument>.Update.Pull("attachments", attached));
        await sweep.RunOnceAsync(CancellationToken.None);

        Assert.Equal(0, await Files.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("_id", attached)));
        Assert.Equal(0, await Chunks.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("files_id", attached)));
    }

    [SkippableFact]
    public async Task TheSweepWalksPastOneBatchAndRecordsWhatItRemoved()
    {
        await MongoServer.RequireAsync();
        var old = DateTime.UtcNow.AddDays(-3);
        // More orphans than one batch holds, written as a driver would (a file document and its first chunk).
        var orphans = Enumerable.Range(0, RecordingSweep.BatchSize * 2 + 100).Select(_ => ObjectId.GenerateNewId(old)).ToList();
        await Files.InsertManyAsync(orphans.Select(id => new BsonDocument
        {
            { "_id", id }, { "length", 100L }, { "chunkSize", 261_120 }, { "uploadDate", old }, { "filename", $"orphan/{id}" },
        }));
        await Chunks.InsertManyAsync(orphans.Select(Chunk));

        var result = await api.Services.GetRequiredService<RecordingSweep>().RunOnceAsync(CancellationToken.None);

        Assert.Null(result.Skipped);
        Assert.True(result.FilesDeleted >= orphans.Count, $"{result}");
        Assert.Equal(0, await Files.CountDocumentsAsync(Builders<BsonDocument>.Filter.In("_id", orphans)));
        Assert.Equal(0, await Chunks.CountDocumentsAsync(Builders<BsonDocument>.Filter.In("files_id", orphans)));
        var lease = await api.Mongo.GetCollection<BsonDocument>(SweepLease.CollectionName).Find(Builders<BsonDocument>.Filter.Eq("_id", SweepLease.LockId)).SingleAsync();
        Assert.False(lease.Contains("owner"));
        Assert.Equal(result.FilesDeleted, lease["lastResult"]["filesDeleted"].ToInt32());
    }

    [SkippableFact]
    public async Task OneSweepAtATimeAcrossInstances()
    {
        await MongoServer.RequireAsync();
        var sweep = api.Services.GetRequiredService<RecordingSweep>();
        var (held, _) = await SweepLease.TryAcquireAsync(
            api.Mongo, "another API instance", TimeSpan.FromMinutes(1), TimeSpan.Zero, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
        Assert.NotNull(held);

        var whileHeld = await sweep.RunOnceAsync(CancellationToken.None);
        await held.DisposeAsync();
        var afterwards = await sweep.RunOnceAsync(CancellationToken.None);
        // The periodic sweeper also waits half an interval after any instance's completed sweep.
        var tooSoon = await sweep.RunOnceAsync(TimeSpan.FromMinutes(30), CancellationToken.None);

        Assert.Contains("another instance sweeps (another API instance)", whileHeld.Skipped, StringComparison.Ordinal);
        Assert.Null(afterwards.Skipped);
        Assert.Contains("completed less than", tooSoon.Skipped, StringComparison.Ordinal);
    }

    internal static async Task<JsonElement> UploadAsync(HttpClient client, Guid encounter, byte[] audio, string mediaType = "audio/webm", double duration = 30)
    {
        var content = new ByteArrayContent(audio);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        var response = await client.PostAsync(
            $"/api/encounters/{encounter}/recordings?duration={duration.ToString(CultureInfo.InvariantCulture)}", content);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.JsonAsync();
    }

    /// <summary>Bytes that are not all alike, so a misplaced range would show.</summary>
    internal static byte[] Pattern(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(i % 251))];

    private IMongoCollection<BsonDocument> Files => api.Mongo.GetCollection<BsonDocument>("fs.files");

    private IMongoCollection<BsonDocument> Chunks => api.Mongo.GetCollection<BsonDocument>("fs.chunks");

    private async Task<(HttpClient Client, Guid Encounter)> EncounterAsync()
    {
        var (doctor, client) = await api.NewClientAsync("doctor");
        return (client, await api.Seed.EncounterAsync(doctor, await api.Seed.PatientAsync(), DateTime.UtcNow.AddHours(-1)));
    }

    private static async Task<string> NoteAsync(HttpClient client, Guid encounter)
    {
        var response = await client.PostJsonAsync("/api/notes", new { encounterId = encounter, rawTranscription = "Patient reports a cough." });
        return (await response.ReadAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private async Task<ObjectId> FileOfAsync(JsonElement recording) =>
        (await Files.Find(Builders<BsonDocument>.Filter.Eq("metadata.recordingId", ObjectId.Parse(recording.GetProperty("id").GetString()))).SingleAsync())["_id"].AsObjectId;

    private static BsonDocument Chunk(ObjectId fileId) => new()
    {
        { "_id", ObjectId.GenerateNewId() },
        { "files_id", fileId },
        { "n", 0 },
        { "data", new BsonBinaryData(Pattern(100)) },
    };

    private static Task<HttpResponseMessage> RangeAsync(HttpClient client, string url, RangeHeaderValue range)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = range;
        return client.SendAsync(request);
    }
}

/// <summary>Uploads larger than memory should hold, and over the limit; alone, so other tests' allocations do not blur the measure.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LargeUploadCollection : ICollectionFixture<LargeUploadTests.SmallLimit>
{
    public const string Name = "large uploads";
}

[Collection(LargeUploadCollection.Name)]
public sealed class LargeUploadTests(LargeUploadTests.SmallLimit api)
{
    private const long Limit = 40L * 1024 * 1024;

    [SkippableFact]
    public async Task AMultiMegabyteUploadStreamsThroughWithoutHoldingTheFileInMemory()
    {
        await MongoServer.RequireAsync();
        const long size = 32L * 1024 * 1024;
        var (doctor, client) = await api.NewClientAsync("doctor");
        var encounter = await api.Seed.EncounterAsync(doctor, await api.Seed.PatientAsync(), DateTime.UtcNow.AddHours(-1));
        var content = new StreamContent(new GeneratedAudio(size));
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");

        var (response, growth) = await PeakLiveGrowthWhileAsync(() => client.PostAsync($"/api/encounters/{encounter}/recordings?duration=2000", content));

        var recording = await response.ReadAsync<JsonElement>();
        Assert.Equal(size, recording.GetProperty("fileSize").GetInt64());
        Assert.True(growth < size / 4, $"live memory grew by {growth / 1024 / 1024} MiB during a {size / 1024 / 1024} MiB upload");

        // And back, compared as it streams.
        using var download = await client.GetAsync(recording.GetProperty("audioUrl").GetString(), HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await download.Content.ReadAsStreamAsync();
        var buffer = new byte[81_920];
        long position = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                Assert.True(buffer[i] == GeneratedAudio.ByteAt(position + i), $"byte {position + i}");
            }

            position += read;
        }

        Assert.Equal(size, position);
    }

    [SkippableFact]
    public async Task AnUploadOverTheLimitIs413AndLeavesNoAudioBehindEvenWithoutAContentLength()
    {
        await MongoServer.RequireAsync();
        var (doctor, client) = await api.NewClientAsync("doctor");
        var encounter = await api.Seed.EncounterAsync(doctor, await api.Seed.PatientAsync(), DateTime.UtcNow.AddHours(-1));
        var files = api.Mongo.GetCollection<BsonDocument>("fs.files");
        var chunks = api.Mongo.GetCollection<BsonDocument>("fs.chunks");
        var (filesBefore, chunksBefore) = (await files.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty), await chunks.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        var content = new StreamContent(new GeneratedAudio(Limit + 3 * 1024 * 1024));
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/webm");

        var response = await client.PostAsync($"/api/encounters/{encounter}/recordings?duration=60", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(filesBefore, await files.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        Assert.Equal(chunksBefore, await chunks.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        Assert.Equal(0, await api.Mongo.GetCollection<BsonDocument>(VoiceRecording.CollectionName)
            .CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("encounterId", encounter.ToString())));
    }

    /// <summary>The most the live heap grew above its start while <paramref name="action"/> ran (sampled after full collections).</summary>
    private static async Task<(T Result, long Growth)> PeakLiveGrowthWhileAsync<T>(Func<Task<T>> action)
    {
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            var peak = baseline;
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
                await Task.Delay(50, CancellationToken.None);
            }

            return peak;
        });
        var result = await action();
        await stop.CancelAsync();
        return (result, await sampler - baseline);
    }

    /// <summary>The API with a 40 MiB upload limit: room for the large upload, and a limit a test can exceed.</summary>
    public sealed class SmallLimit : MongoApiFactory
    {
        protected override Dictionary<string, string?> MongoSettings => new() { ["Recordings:MaxBytes"] = Limit.ToString(CultureInfo.InvariantCulture) };
    }
}

/// <summary>Audio made up as it is read: not seekable, no length, never in memory as a whole.</summary>
public sealed class GeneratedAudio(long length) : Stream
{
    private long _position;

    public static byte ByteAt(long position) => (byte)(position % 251);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, length - _position);
        for (var i = 0; i < count; i++)
        {
            buffer[i] = ByteAt(_position + i);
        }

        _position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
