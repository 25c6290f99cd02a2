@echo off
rem One-time setup for the restream server on Windows; safe to run again.
rem   setup.bat ^&^& start_server.bat
rem Checks Node.js (22 or newer) and ffmpeg (it converts fallback videos), installs the npm
rem packages (npm ci) and builds the server and the dashboard (npm run build).
setlocal EnableExtensions
cd /d "%~dp0"

echo ==^> checking Node.js
where node >nul 2>nul
if errorlevel 1 (
  echo Node.js is not installed. Install Node.js 22 LTS, open a new terminal, and run setup.bat again:
  echo     winget install OpenJS.NodeJS.LTS
  echo   or download it from https://nodejs.org/en/download
  exit /b 1
)
node -e "process.exit(Number(process.versions.node.split('.')[0])>=22?0:1)"
if errorlevel 1 (
  for /f %%v in ('node --version') do echo Node.js %%v is too old: 22 or newer is needed.
  echo     winget upgrade OpenJS.NodeJS.LTS
  exit /b 1
)
for /f %%v in ('node --version') do echo     Node.js %%v
where npm >nul 2>nul
if errorlevel 1 (
  echo npm is missing: it comes with Node.js. Reinstall Node.js: winget install OpenJS.NodeJS.LTS
  exit /b 1
)

echo ==^> checking ffmpeg and ffprobe
where ffmpeg >nul 2>nul
if errorlevel 1 goto :noffmpeg
where ffprobe >nul 2>nul
if errorlevel 1 goto :noffmpeg
for /f "tokens=1-3" %%a in ('ffmpeg -hide_banner -version ^| findstr /b "ffmpeg"') do echo     %%a %%b %%c
goto :deps

:noffmpeg
echo ffmpeg (with ffprobe) is not installed or not on PATH. It converts uploaded fallback videos.
echo Install it, open a new terminal, and run setup.bat again:
echo     winget install Gyan.FFmpeg
echo   or download a build from https://ffmpeg.org/download.html and add its bin folder to PATH.
exit /b 1

:deps
echo ==^> installing the npm packages (npm ci)
if exist package-lock.json (
  call npm ci --no-audit --no-fund
) else (
  call npm install --no-audit --no-fund
)
if errorlevel 1 (
  echo npm could not install the packages. better-sqlite3 may need the Visual Studio Build Tools
  echo when no prebuilt binary matches your Node.js: winget install Microsoft.VisualStudio.2022.BuildTools
  exit /b 1
)

echo ==^> building the server and the dashboard (npm run build)
call npm run build
if errorlevel 1 exit /b 1

echo.
echo Ready. Next: start_server.bat
echo     (the first start prints the admin password; the dashboard shows the OBS server URL and key)
