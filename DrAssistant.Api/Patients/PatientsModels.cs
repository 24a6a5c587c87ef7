using System.Text.Json;
using DrAssistant.Api.Encounters;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Notes;
using DrAssistant.Api.Orders;
using DrAssistant.Api.Prescriptions;

namespace DrAssistant.Api.Patients;

public sealed record Patient(
    Guid Id,
    string? Mrn,
    string? AbhaId,
    string FirstName,
    string LastName,
    DateOnly DateOfBirth,
    string Gender,
    string? Phone,
    string? Email,
    JsonElement? Address,
    JsonElement? EmergencyContact,
    string? BloodGroup,
    string[]? Allergies,
    string Status,
    DateTime CreatedAt,
    DateTime UpdatedAt);

/// <summary>The cached demographics (<c>patient:{id}:demographics</c>), in the design's shape.</summary>
public sealed record PatientDemographics(
    Guid Id, string? Mrn, string? AbhaId, string FirstName, string LastName, DateOnly DateOfBirth, string Gender, string? Phone, string? Email);

/// <summary>Create and replace share one shape; status defaults to active on create.</summary>
public sealed record PatientRequest(
    string? FirstName,
    string? LastName,
    DateOnly? DateOfBirth,
    string? Gender,
    string? Mrn = null,
    string? AbhaId = null,
    string? Phone = null,
    string? Email = null,
    JsonElement? Address = null,
    JsonElement? EmergencyContact = null,
    string? BloodGroup = null,
    string[]? Allergies = null,
    string? Status = null);

/// <summary>
/// Pattern 2: a patient's history, newest first, each list paged on its own. The notes come from MongoDB: when it is
/// not configured or unreachable (or the caller may not read notes), <c>notes</c> is null and <c>notesAvailable</c> false.
/// </summary>
public sealed record PatientTimeline(
    PatientDemographics Patient,
    PagedList<EncounterSummary> Encounters,
    PagedList<Prescription> Prescriptions,
    PagedList<Order> Orders,
    PagedList<NoteSummary>? Notes,
    bool NotesAvailable);
