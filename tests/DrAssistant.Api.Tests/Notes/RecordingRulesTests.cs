using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Notes;
using DrAssistant.Api.Recordings;
using DrAssistant.MigrationService.Mongo;
using DrAssistant.MigrationService.Tests.Mongo;
using Microsoft.Extensions.Configuration;
using MongoDB.Bson;

namespace DrAssistant.Api.Tests.Notes;

/// <summary>The rules of recordings that need no server: media types, fields, the metadata document, the settings.</summary>
public sealed class RecordingRulesTests
{
    private static readonly DateTime Now = new(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);

    [Theory]
    [InlineData("audio/webm", "audio/webm")]
    [InlineData("audio/webm;codecs=opus", "audio/webm")]
    [InlineData("AUDIO/WAV", "audio/wav")]
    [InlineData("audio/mpeg; charset=binary", "audio/mpeg")]
    public void AnAllowedMediaTypeIsStoredInLowerCaseWithoutParameters(string contentType, string stored)
    {
        Assert.True(RecordingsRules.TryAllowedMimeType(contentType, new RecordingOptions(), out var mimeType));
        Assert.Equal(stored, mimeType);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("video/mp4")]
    [InlineData("application/octet-stream")]
    [InlineData("audio")]
    [InlineData("text/plain; audio/webm")]
    public void AnyOtherMediaTypeIsRefused(string? contentType)
    {
        Assert.False(RecordingsRules.TryAllowedMimeType(contentType, new RecordingOptions(), out _));
    }

    [Fact]
    public void ConfiguredMediaTypesReplaceTheDefaultsRatherThanAddToThem()
    {
        var options = Bind(new() { ["Recordings:AllowedMimeTypes:0"] = "audio/flac" });

        Assert.Equal(["audio/flac"], options.MimeTypes);
        Assert.True(RecordingsRules.TryAllowedMimeType("audio/flac", options, out _));
        Assert.False(RecordingsRules.TryAllowedMimeType("audio/webm", options, out _));
        Assert.Equal(RecordingOptions.DefaultMimeTypes, new RecordingOptions().MimeTypes);
    }

    [Fact]
    public void SizeRetentionAndSweepComeFromConfiguration()
    {
        var options = Bind(new()
        {
            ["Recordings:MaxBytes"] = "5000",
            ["Recordings:Retention"] = "30.00:00:00",
            ["Recordings:SweepInterval"] = "00:10:00",
            ["Recordings:SweepGracePeriod"] = "02:00:00",
        });

        Assert.Equal(5000, options.MaxBytes);
        Assert.True(options.MaxRequestBytes > options.MaxBytes);
        Assert.Equal(TimeSpan.FromDays(30), options.Retention);
        Assert.Equal(TimeSpan.FromMinutes(10), options.SweepInterval);
        Assert.Equal(TimeSpan.FromHours(2), options.SweepGracePeriod);
    }

    [Theory]
    [InlineData("multipart/form-data; boundary=abc", true, "abc")]
    [InlineData("multipart/form-data; boundary=\"a b c\"", true, "a b c")]
    [InlineData("multipart/form-data", true, null)]
    [InlineData("audio/webm", false, null)]
    [InlineData(null, false, null)]
    public void AMultipartBodyIsRecognisedWithItsBoundary(string? contentType, bool multipart, string? boundary)
    {
        Assert.Equal(multipart, RecordingsRules.IsMultipart(contentType, out var parsed));
        Assert.Equal(boundary, parsed);
    }

    [Fact]
    public void ABoundaryLongerThanSeventyCharactersIsRefused()
    {
        Assert.True(RecordingsRules.IsMultipart($"multipart/form-data; boundary={new string('b', 71)}", out var boundary));
        Assert.Null(boundary);
    }

    [Theory]
    [InlineData(null, true, "duration")]
    [InlineData(0.0, false, "duration")]
    [InlineData(-3.0, false, "duration")]
    [InlineData(86_401.0, false, "duration")]
    [InlineData(double.NaN, false, "duration")]
    [InlineData(double.PositiveInfinity, false, "duration")]
    public void TheDurationIsSecondsMoreThanZeroAndAtMostADay(double? duration, bool required, string field)
    {
        var validation = RecordingsRules.ValidateFields(new Validation(), new RecordingFields(duration, null, null), required);

        Assert.Equal([field], validation.Errors.Keys);
    }

    [Fact]
    public void TheDurationMayComeLaterInAMultipartFormAndDeviceFieldsAreBounded()
    {
        var fields = new RecordingFields(null, null, null);

        Assert.True(RecordingsRules.ValidateFields(new Validation(), fields, durationRequired: false).IsValid);
        Assert.True(fields.TryAdd("duration", "312.5"));
        Assert.False(fields.TryAdd("duration", "3,5"));
        Assert.True(fields.TryAdd("deviceInfo", new string('d', 201)));
        Assert.True(fields.TryAdd("somethingElse", "ignored"));
        Assert.Equal(312.5, fields.Duration);
        Assert.Equal(["deviceInfo"], RecordingsRules.ValidateFields(new Validation(), fields, durationRequired: true).Errors.Keys);
    }

    [Fact]
    public void AStoredUploadBecomesAProcessingRecordingWithItsRetentionDateThatTheValidatorAccepts()
    {
        var encounter = new EncounterParties(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), "in_progress");
        var options = new RecordingOptions { Retention = TimeSpan.FromDays(30), RetentionReason = "Policy" };
        var stored = new Stored(ObjectId.GenerateNewId(), 1234, "audio/webm");

        var recording = RecordingsRules.NewRecording(ObjectId.GenerateNewId(), encounter, stored, new RecordingFields(60, "Pixel 8", null), options, Now);
        var document = recording.ToBsonDocument();

        Assert.Empty(JsonSchemaChecker.Check(document, MongoSchema.VoiceRecordingsCollection.Validator!));
        Assert.Equal((encounter.PatientId, encounter.DoctorId), (recording.PatientId, recording.DoctorId));
        Assert.Equal("processing", document["status"].AsString);
        Assert.Equal(BsonType.Int64, document["fileSize"].BsonType);
        Assert.Equal(BsonType.Double, document["duration"].BsonType);
        Assert.Equal(Now.AddDays(30), document["retentionPolicy"]["expiresAt"].ToUniversalTime());
        Assert.Equal("Pixel 8", recording.Metadata!.DeviceInfo);
        Assert.Equal(stored.FileId, recording.FileId);
    }

    private static RecordingOptions Bind(Dictionary<string, string?> settings)
    {
        var options = new RecordingOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(RecordingOptions.SectionName).Bind(options);
        return options;
    }
}
