using DrAssistant.Api;
using DrAssistant.Api.Alerts;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Appointments;
using DrAssistant.Api.Dashboard;
using DrAssistant.Api.Encounters;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Notes;
using DrAssistant.Api.Orders;
using DrAssistant.Api.Patients;
using DrAssistant.Api.Prescriptions;
using DrAssistant.Api.Recordings;
using DrAssistant.Api.Tasks;
using DrAssistant.Api.Users;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseSecurityHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseSchemaGate();
app.UseRouting();
app.UseMiddleware<RequestDeadline>();
app.UseRateLimiter();
app.UseMiddleware<RequestBodyLimitMiddleware>();
app.UseAuthentication();
app.UseAuthorization();
app.UseMiddleware<StorableQueryMiddleware>();
app.UseMiddleware<PoolRecovery>();
app.MapDefaultEndpoints();
app.MapOpenApiWithUi();

app.MapAuthApi();
app.MapDashboardApi();
app.MapPatientsApi();
app.MapTimelineApi();
app.MapAppointmentsApi();
app.MapEncountersApi();
app.MapNotesApi();
app.MapRecordingsApi();
app.MapPrescriptionsApi();
app.MapOrdersApi();
app.MapTasksApi();
app.MapAlertsApi();
app.MapUsersApi();

app.Run();

/// <summary>Entry point, public so integration tests can host the API.</summary>
public partial class Program;
