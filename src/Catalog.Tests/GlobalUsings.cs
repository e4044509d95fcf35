global using System.Text.Json;
global using Catalog.Accounts;
global using Xunit;
