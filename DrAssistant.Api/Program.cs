using DrAssistant.Api;
using DrAssistant.Api.Users;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapDefaultEndpoints();
app.MapOpenApiWithUi();

app.MapUsersApi();

app.Run();

/// <summary>Entry point, public so integration tests can host the API.</summary>
public partial class Program;
