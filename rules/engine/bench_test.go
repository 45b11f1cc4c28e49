package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// BenchmarkReassign10000 hands 10,000 contacts of one owner to the
// example's sales pool (3 owners) against the in-process fake and reports
// the calls the fake counted. bulk is Engine.Reassign: at most
// ceil(10,000/chunk) x 3 bulk PATCHes plus the list pages. naive, the
// baseline in the same run, lists the same pages and sends one PATCH
// /v1/crm/contacts/{id} per contact. Call counts, not time, are the
// point; ns/op includes the fake.
func BenchmarkReassign10000(b *testing.B) {
	set := mustLoad(b, "../../rules.example.yaml")
	const n = 10000
	sales := poolOwners(b, set, "sales")
	seeded := func(b *testing.B) (*deskeratest.Fake, *deskera.Client, *engine.Engine) {
		fake := deskeratest.New()
		client := fakeClient(b, fake)
		eng, err := engine.NewEngine(client)
		if err != nil {
			b.Fatal(err)
		}
		for j := range n {
			fake.AddContact(deskera.Contact{Name: "R", Email: fmt.Sprintf("rep-%d@example.com", j), OwnerID: 99999})
		}
		fake.ResetCounts()
		return fake, client, eng
	}
	report := func(b *testing.B, fake *deskeratest.Fake) {
		b.ReportMetric(float64(fake.Count("contacts.bulk_update")), "bulk_patches/op")
		b.ReportMetric(float64(fake.Count("contacts.update")), "single_patches/op")
		b.ReportMetric(float64(fake.Count("contacts.list")), "list_pages/op")
	}
	// each runs do b.N times, each time on a freshly seeded fake, timing
	// only do; it returns the last fake, for the counts.
	each := func(b *testing.B, do func(*deskera.Client, *engine.Engine) error) *deskeratest.Fake {
		var fake *deskeratest.Fake
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			f, client, eng := seeded(b)
			fake = f
			b.StartTimer()
			if err := do(client, eng); err != nil {
				b.Fatal(err)
			}
		}
		return fake
	}
	b.Run("bulk", func(b *testing.B) {
		fake := each(b, func(_ *deskera.Client, eng *engine.Engine) error {
			res, err := eng.Reassign(context.Background(), set, rules.ReassignTarget{FromOwner: 99999, Pool: "sales"}, engine.SweepOptions{})
			if err != nil || res.Reassigned != n {
				return fmt.Errorf("reassigned %v, err %v", res, err)
			}
			return nil
		})
		chunk := set.Sweep().ChunkSize
		if bulk, bound := fake.Count("contacts.bulk_update"), (n+chunk-1)/chunk*len(sales); bulk > bound {
			b.Errorf("%d bulk PATCHes, bound %d", bulk, bound)
		}
		report(b, fake)
	})
	b.Run("naive", func(b *testing.B) {
		fake := each(b, func(client *deskera.Client, _ *engine.Engine) error {
			return client.WalkContacts(context.Background(), &deskera.ListContactsOptions{Limit: 100}, func(cs []deskera.Contact) error {
				for _, c := range cs {
					if c.OwnerID == 99999 {
						owner := deskera.ID(rules.Route(sales, c.Email))
						if _, err := client.UpdateContact(context.Background(), c.ID, &deskera.ContactSaveDto{OwnerID: owner}); err != nil {
							return err
						}
					}
				}
				return nil
			})
		})
		report(b, fake)
	})
}
