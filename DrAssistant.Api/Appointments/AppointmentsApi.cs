using System.Security.Claims;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using static DrAssistant.Api.Appointments.AppointmentsRules;

namespace DrAssistant.Api.Appointments;

/// <summary>
/// Booking and the visit's progress (confirm, check in, start, check out, cancel, no-show). Every change drops the
/// cached schedule of the doctor's day (<c>doctor:{id}:schedule:{date}</c>) for the days it touched.
/// </summary>
public static class AppointmentsApi
{
    public static IEndpointRouteBuilder MapAppointmentsApi(this IEndpointRouteBuilder app)
    {
        var appointments = app.MapGroup("/api/appointments").WithTags("Appointments");
        appointments.MapGet("/", ListAppointments).RequireAuthorization(Permissions.ReadAppointments).WithSummary("A doctor's or a patient's appointments in a period, paged");
        appointments.MapGet("/{id:guid}", GetAppointment).RequireAuthorization(Permissions.ReadAppointments).WithSummary("One appointment");
        appointments.MapPost("/", BookAppointment).RequireAuthorization(Permissions.WriteAppointments).WithSummary("Book an appointment (the doctor's slot must be free)");
        appointments.MapPut("/{id:guid}", RescheduleAppointment).RequireAuthorization(Permissions.WriteAppointments).WithSummary("Change an appointment's time, people, type or notes");
        foreach (var action in Steps.Actions)
        {
            appointments.MapPost($"/{{id:guid}}/{action}", (Guid id, NpgsqlDataSource db, CachePolicy cache, CancellationToken ct) =>
                    MoveAsync(id, action, db, cache, ct))
                .RequireAuthorization(Permissions.WriteAppointments)
                .WithName($"Appointment{string.Concat(action.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]))}")
                .WithSummary($"Mark the appointment {Spoken(Steps.Of(action).To)}");
        }

        return app;
    }

    public static async Task<Results<Ok<PagedList<Appointment>>, ValidationProblem>> ListAppointments(
        NpgsqlDataSource db, Guid? doctorId, Guid? patientId, DateTimeOffset? from, DateTimeOffset? to, string? status,
        int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var validation = ValidateList(doctorId, patientId, from, to, status);
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        return TypedResults.Ok(paging.ToPage(await AppointmentsQueries.ListAsync(db, doctorId, patientId, from, to, status, paging, cancellationToken)));
    }

    public static async Task<Results<Ok<Appointment>, NotFound>> GetAppointment(Guid id, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        await AppointmentsQueries.FindAsync(db, id, cancellationToken) is { } appointment ? TypedResults.Ok(appointment) : TypedResults.NotFound();

    public static async Task<Results<Created<Appointment>, ValidationProblem, Conflict<ProblemDetails>>> BookAppointment(
        AppointmentRequest request, ClaimsPrincipal user, NpgsqlDataSource db, CachePolicy cache, CancellationToken cancellationToken)
    {
        var validation = Validate(request);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            // Who booked it is who is signed in, whatever the body says.
            var outcome = await AppointmentsQueries.BookAsync(db, cache, request with { CreatedBy = user.Id() }, cancellationToken);
            return outcome.Result switch
            {
                AppointmentResult.Done => TypedResults.Created($"/api/appointments/{outcome.Appointment!.Id}", outcome.Appointment),
                AppointmentResult.NotADoctor => NotADoctor(),
                _ => SlotTaken(),
            };
        }
        catch (PostgresException ex) when (DbErrors.IsInvalid(ex))
        {
            return DbErrors.Invalid(ex);
        }
    }

    public static async Task<Results<Ok<Appointment>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> RescheduleAppointment(
        Guid id, AppointmentRequest request, NpgsqlDataSource db, CachePolicy cache, CancellationToken cancellationToken)
    {
        var validation = Validate(request);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        try
        {
            var outcome = await AppointmentsQueries.RescheduleAsync(db, cache, id, request, cancellationToken);
            return outcome.Result switch
            {
                AppointmentResult.Done => TypedResults.Ok(outcome.Appointment!),
                AppointmentResult.NotFound => TypedResults.NotFound(),
                AppointmentResult.NotADoctor => NotADoctor(),
                AppointmentResult.WrongStatus => Problems.Conflict($"A {Spoken(outcome.Status!)} appointment cannot be changed.", "status"),
                _ => SlotTaken(),
            };
        }
        catch (PostgresException ex) when (DbErrors.IsInvalid(ex))
        {
            return DbErrors.Invalid(ex);
        }
    }

    public static async Task<Results<Ok<Appointment>, NotFound, Conflict<ProblemDetails>>> MoveAsync(
        Guid id, string action, NpgsqlDataSource db, CachePolicy cache, CancellationToken cancellationToken)
    {
        var outcome = await AppointmentsQueries.MoveAsync(db, cache, id, action, cancellationToken);
        return outcome.Result switch
        {
            AppointmentResult.Done => TypedResults.Ok(outcome.Appointment!),
            AppointmentResult.NotFound => TypedResults.NotFound(),
            _ => Problems.WrongStatus("appointment", outcome.Status!, $"marked {Spoken(Steps.Of(action).To)}"),
        };
    }

    private static ValidationProblem NotADoctor() => Problems.Invalid("doctorId", "No doctor with this id.");

    private static Conflict<ProblemDetails> SlotTaken() => Problems.Conflict(DbErrors.SlotTakenMessage, "startTime");
}
