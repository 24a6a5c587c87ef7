using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DrAssistant.ServiceDefaults.Tests;

/// <summary>What the services log by default: their own events, not every SQL statement or Redis connection step.</summary>
public class LoggingDefaultsTests
{
    [Theory]
    [InlineData("Npgsql.Command")]
    [InlineData("Npgsql.Connection")]
    [InlineData("StackExchange.Redis.ConnectionMultiplexer")]
    public void ChattyLibrariesLogOnlyWarningsByDefault(string category)
    {
        var logger = LoggerOf(category);

        Assert.False(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Warning));
    }

    [Fact]
    public void TheServicesOwnEventsStayAtInformation()
    {
        Assert.True(LoggerOf("DrAssistant.Api.Auth.SessionStore").IsEnabled(LogLevel.Information));
    }

    [Fact]
    public void ConfiguringTheCategoryShowsEveryStatementAgain()
    {
        var logger = LoggerOf("Npgsql.Command", "--Logging:LogLevel:Npgsql=Information");

        Assert.True(logger.IsEnabled(LogLevel.Information));
    }

    [Fact]
    public void AMoreSpecificCategoryInConfigurationWinsToo()
    {
        var command = LoggerOf("Npgsql.Command", "--Logging:LogLevel:Npgsql.Command=Debug");

        Assert.True(command.IsEnabled(LogLevel.Debug));
        Assert.False(LoggerOf("Npgsql.Connection", "--Logging:LogLevel:Npgsql.Command=Debug").IsEnabled(LogLevel.Information));
    }

    private static ILogger LoggerOf(string category, params string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults();
        var services = builder.Services.BuildServiceProvider();
        return services.GetRequiredService<ILoggerFactory>().CreateLogger(category);
    }
}
