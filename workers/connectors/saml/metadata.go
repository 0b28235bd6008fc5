package saml

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"

	crewjam "github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"

	"github.com/authtrail/authtrail/workers/connectors"
)

// maxMetadataSize bounds a fetched metadata document: one IdP's metadata
// is a few kilobytes, so a larger body is not what we asked for.
const maxMetadataSize = 4 << 20

// Metadata is our SP metadata: our entity id, the assertion consumer
// service with the HTTP-POST binding, AuthnRequestsSigned="false" and
// WantAssertionsSigned="true". It needs no IdP metadata.
func (c *Connector) Metadata(ctx context.Context) ([]byte, error) {
	body, err := xml.MarshalIndent(c.serviceProvider(nil).Metadata(), "", "  ")
	if err != nil {
		return nil, &connectors.Error{Code: connectors.CodeGeneral, Permanent: true, Err: fmt.Errorf("saml: metadata: %w", err)}
	}
	return append([]byte(xml.Header), body...), nil
}

// idpMetadata returns the IdP's metadata, fetching IDPMetadataURL the
// first time (and again after a failure). The lock is held while fetching
// so that concurrent first uses make one request.
func (c *Connector) idpMetadata(ctx context.Context) (*crewjam.EntityDescriptor, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idp != nil {
		return c.idp, nil
	}
	idp, err := c.fetchIDPMetadata(ctx)
	if err != nil {
		// Transient: the IdP may be down, or its document fixed later.
		return nil, &connectors.Error{Code: connectors.CodeGeneral, Err: fmt.Errorf("saml: IdP metadata %s: %w", c.cfg.IDPMetadataURL, err)}
	}
	c.idp = idp
	return idp, nil
}

func (c *Connector) fetchIDPMetadata(ctx context.Context) (*crewjam.EntityDescriptor, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.IDPMetadataURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataSize+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxMetadataSize {
		return nil, fmt.Errorf("larger than %d bytes", maxMetadataSize)
	}
	return parseIDPMetadata(body)
}

// parseIDPMetadata reads an IdP's EntityDescriptor (or the one IdP of an
// EntitiesDescriptor). A DTD is refused as in responses: the metadata
// names the keys we trust, and may come over the network.
func parseIDPMetadata(doc []byte) (*crewjam.EntityDescriptor, error) {
	if hasMarkupDeclaration(doc) {
		return nil, errors.New("a document with a DOCTYPE or an entity declaration is refused")
	}
	ed, err := samlsp.ParseMetadata(doc)
	if err != nil {
		return nil, fmt.Errorf("not SAML metadata: %w", err)
	}
	if len(ed.IDPSSODescriptors) == 0 {
		return nil, fmt.Errorf("entity %q has no IDPSSODescriptor", ed.EntityID)
	}
	return ed, nil
}
