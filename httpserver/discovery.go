package httpserver

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
)

func (s *Server) isAlive(w http.ResponseWriter, r *http.Request) {
	writeText(w, http.StatusOK, "OK")
}

// platformNamed returns the platform the client named, or answers the
// client's 400 itself and returns nil: missing is the text for an empty
// name, "Unknown platform" the one for a name no adapter has. The platform
// is recorded for the request log.
func (s *Server) platformNamed(w http.ResponseWriter, r *http.Request, name, missing string) *platform {
	if name == "" {
		writeText(w, http.StatusBadRequest, missing)
		return nil
	}
	p := s.platforms[name]
	if p == nil {
		writeText(w, http.StatusBadRequest, "Unknown platform")
		return nil
	}
	requestInfo(r.Context()).platform = name
	return p
}

// implementedInterfaces answers which optional capabilities the platform's
// adapter has: adapter.Discover's type assertions, done once in New. Every
// value is a boolean except "logFormat", the media type of the adapter's
// log bodies.
func (s *Server) implementedInterfaces(w http.ResponseWriter, r *http.Request) {
	p := s.platformNamed(w, r, clientQuery(r).Get("platform"), "Please provide platform.")
	if p == nil {
		return
	}
	logFormat := p.logFormat
	if logFormat == "" {
		logFormat = adapter.LogFormatText // the reference server's default
	}
	out := make(map[string]any, 32)
	for k, v := range p.caps.ImplementedInterfaces() {
		out[k] = v
	}
	out["cacheCallNote"] = true // POST /callLog/cacheNote is always served
	// logFormat is ours: the contract's ImplementedInterfacesResponse
	// allows additional properties.
	out["logFormat"] = logFormat
	writeJSON(w, http.StatusOK, out)
}

// manifest is the document of GET /crmManifest (PROTOCOL.md §6).
type manifest struct {
	ServerURL   string                     `json:"serverUrl"`
	RedirectURI string                     `json:"redirectUri,omitempty"`
	Author      manifestAuthor             `json:"author"`
	Version     string                     `json:"version"`
	Platforms   map[string]json.RawMessage `json:"platforms"`
}

type manifestAuthor struct {
	Name string `json:"name"`
}

// crmManifest serves the adapter's platform block wrapped in the manifest.
// Without platformName a single-adapter server serves its only platform.
func (s *Server) crmManifest(w http.ResponseWriter, r *http.Request) {
	name := clientQuery(r).Get("platformName")
	if name == "" && len(s.platforms) == 1 {
		for n := range s.platforms {
			name = n
		}
	}
	p := s.platforms[name]
	if p == nil {
		writeText(w, http.StatusBadRequest, "Platform not found")
		return
	}
	requestInfo(r.Context()).platform = name
	block, err := p.manifestBlock()
	if err != nil {
		s.fail(w, r, operation{name: "reading manifest", record: "Manifest"}, name, err)
		return
	}
	m := manifest{
		ServerURL: s.serverURL(r),
		Author:    manifestAuthor{Name: s.opts.author},
		Version:   s.opts.version,
		Platforms: map[string]json.RawMessage{name: block},
	}
	if p.auth.OAuth != nil {
		m.RedirectURI = p.auth.OAuth.RedirectURL
	}
	writeJSON(w, http.StatusOK, m)
}

// manifestBlock is the adapter's own block, or a minimal one derived from
// its AuthConfig. Only public parts of the OAuth provider appear.
func (p *platform) manifestBlock() (json.RawMessage, error) {
	if p.manifest != nil {
		b := p.manifest.Manifest()
		if !json.Valid(b) {
			return nil, errInvalidManifest
		}
		return b, nil
	}
	type oauthBlock struct {
		AuthURL     string `json:"authUrl"`
		ClientID    string `json:"clientId"`
		RedirectURI string `json:"redirectUri"`
		Scope       string `json:"scope,omitempty"`
	}
	block := struct {
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
		Auth        struct {
			Type  string      `json:"type"`
			OAuth *oauthBlock `json:"oauth,omitempty"`
		} `json:"auth"`
	}{Name: p.adapter.Platform(), DisplayName: p.adapter.Platform()}
	block.Auth.Type = string(p.auth.Type)
	if o := p.auth.OAuth; o != nil {
		block.Auth.OAuth = &oauthBlock{AuthURL: o.AuthURL, ClientID: o.ClientID, RedirectURI: o.RedirectURL, Scope: strings.Join(o.Scopes, " ")}
	}
	return json.Marshal(block)
}

func (s *Server) serverURL(r *http.Request) string {
	if s.opts.serverURL != "" {
		return s.opts.serverURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
