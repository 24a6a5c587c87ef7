using System.Text.Json;

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
